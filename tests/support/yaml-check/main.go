// yamlcheck reads each file named on the command line with gopkg.in/yaml.v3, the parser the Pulumi CLI reads
// Pulumi.yaml and Pulumi.<stack>.yaml with, and prints one JSON object: {"<file>": <document as JSON> | {"error": "..."}}.
// Built offline from Debian's golang-go + golang-gopkg-yaml.v3-dev (GO111MODULE=off GOPATH=/usr/share/gocode).
package main

import (
	"encoding/json"
	"fmt"
	"os"

	"gopkg.in/yaml.v3"
)

// plain turns yaml.v3's map[string]interface{} / map[interface{}]interface{} into JSON-encodable values.
func plain(v interface{}) interface{} {
	switch t := v.(type) {
	case map[string]interface{}:
		out := map[string]interface{}{}
		for k, x := range t {
			out[k] = plain(x)
		}
		return out
	case map[interface{}]interface{}:
		out := map[string]interface{}{}
		for k, x := range t {
			out[fmt.Sprint(k)] = plain(x)
		}
		return out
	case []interface{}:
		for i, x := range t {
			t[i] = plain(x)
		}
		return t
	}
	return v
}

func main() {
	result := map[string]interface{}{}
	for _, file := range os.Args[1:] {
		text, err := os.ReadFile(file)
		if err != nil {
			result[file] = map[string]string{"error": err.Error()}
			continue
		}
		var doc interface{}
		if err := yaml.Unmarshal(text, &doc); err != nil {
			result[file] = map[string]string{"error": err.Error()}
			continue
		}
		result[file] = map[string]interface{}{"document": plain(doc)}
	}
	out, err := json.Marshal(result)
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(2)
	}
	fmt.Println(string(out))
}
