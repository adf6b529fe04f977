# Stand-in for Linux::Inotify2 (imported by pve-common 8's INotify.pm; the tests never watch files). Not its code.
package Linux::Inotify2;
use strict;
use warnings;
use base 'Exporter';
our @EXPORT = qw(IN_MODIFY IN_ATTRIB IN_MOVED_FROM IN_MOVED_TO IN_DELETE IN_CREATE IN_ISDIR IN_Q_OVERFLOW);
use constant { IN_MODIFY => 2, IN_ATTRIB => 4, IN_MOVED_FROM => 64, IN_MOVED_TO => 128, IN_CREATE => 256,
    IN_DELETE => 512, IN_ISDIR => 0x40000000, IN_Q_OVERFLOW => 0x4000 };

sub new { die "Linux::Inotify2 is not available in the tests\n"; }

1;
