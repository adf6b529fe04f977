/*
 * pfha-sleep.so: preloaded on the lab's firewalls (their /etc/ld.so.preload). pfSense's PHP calls sleep() and
 * usleep() to wait for FreeBSD's kernel and daemons (pfsync's "syncok", dhcpd's restart, a killed dhclient, ...).
 * The lab stands those in and they answer at once, so in PHP processes these waits are shortened: every sleep()
 * and usleep() of a php binary lasts its requested time times the factor in /usr/local/share/pfha-lab/sleep-scale
 * (one number, e.g. 0.05; absent or unreadable = 1, the real time). Each shortened call is recorded in
 * /var/log/pfha-lab/sleep.log as "<requested microseconds> <slept microseconds>". Other programs, and nanosleep()
 * (PHP's time_nanosleep(), used by the lab's own injected slow-downs), keep the real time.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

extern char *program_invocation_short_name;

static double factor(void) {
	static double f = -1;
	if (f < 0) {
		f = 1;
		if (strncmp(program_invocation_short_name, "php", 3) == 0) {
			FILE *in = fopen("/usr/local/share/pfha-lab/sleep-scale", "r");
			double v;
			if (in != NULL) {
				if (fscanf(in, "%lf", &v) == 1 && v >= 0 && v <= 1) f = v;
				fclose(in);
			}
		}
	}
	return f;
}

static void pause_us(unsigned long long us) {
	double f = factor();
	unsigned long long slept = f >= 1 ? us : (unsigned long long)(us * f);
	struct timespec ts = { (time_t)(slept / 1000000ULL), (long)(slept % 1000000ULL) * 1000L };
	while (nanosleep(&ts, &ts) == -1 && errno == EINTR) {}
	if (f < 1) {
		FILE *log = fopen("/var/log/pfha-lab/sleep.log", "a");
		if (log != NULL) {
			fprintf(log, "%llu %llu\n", us, slept);
			fclose(log);
		}
	}
}

unsigned int sleep(unsigned int seconds) {
	pause_us((unsigned long long)seconds * 1000000ULL);
	return 0;
}

int usleep(useconds_t us) {
	pause_us(us);
	return 0;
}
