// goserver: a static Go HTTP server for the image acceptance tests.
//
//	goserver [-addr :8080]
//
// GET /            -> "hello from go\n"
// GET /status/NNN  -> an empty reply with status NNN
// GET /sum?n=N     -> the sum 1..N computed by N goroutines over a channel
// GET /env         -> the process's environment, one variable a line, sorted
package main

import (
	"flag"
	"fmt"
	"log"
	"net/http"
	"os"
	"sort"
	"strconv"
	"strings"
)

func main() {
	addr := flag.String("addr", ":8080", "listen address")
	flag.Parse()
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprint(w, "hello from go\n")
	})
	http.HandleFunc("/status/", func(w http.ResponseWriter, r *http.Request) {
		code, err := strconv.Atoi(strings.TrimPrefix(r.URL.Path, "/status/"))
		if err != nil || code < 100 || code > 599 {
			http.Error(w, "bad status", http.StatusBadRequest)
			return
		}
		w.WriteHeader(code)
	})
	http.HandleFunc("/sum", func(w http.ResponseWriter, r *http.Request) {
		n, err := strconv.Atoi(r.URL.Query().Get("n"))
		if err != nil || n < 0 || n > 100000 {
			http.Error(w, "bad n", http.StatusBadRequest)
			return
		}
		ch := make(chan int, n)
		for i := 1; i <= n; i++ {
			go func(i int) { ch <- i }(i)
		}
		sum := 0
		for i := 0; i < n; i++ {
			sum += <-ch
		}
		fmt.Fprintf(w, "%d\n", sum)
	})
	http.HandleFunc("/env", func(w http.ResponseWriter, r *http.Request) {
		env := os.Environ()
		sort.Strings(env)
		fmt.Fprint(w, strings.Join(env, "\n")+"\n")
	})
	log.Printf("goserver listening on %s", *addr)
	log.Fatal(http.ListenAndServe(*addr, nil))
}
