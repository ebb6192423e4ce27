package main

import (
	"os"
	"slices"
	"strings"
	"testing"
)

func TestStatusBytesReadsKilobyteLines(t *testing.T) {
	status := "Name:\tsafeguarding\nVmPeak:\t 1843412 kB\nVmHWM:\t   81236 kB\nVmRSS:\t   80000 kB\nThreads:\t12\n"
	if n, ok := statusBytes(status, "VmHWM"); !ok || n != 81236*1024 {
		t.Errorf("VmHWM = %d, %v", n, ok)
	}
	if n, ok := statusBytes(status, "VmRSS"); !ok || n != 80000*1024 {
		t.Errorf("VmRSS = %d, %v", n, ok)
	}
	for _, name := range []string{"VmSwap", "Threads", "Name"} {
		if _, ok := statusBytes(status, name); ok {
			t.Errorf("%s read as a size", name)
		}
	}
}

func TestOurOwnStatusHasAPeak(t *testing.T) {
	// RSS first: the peak read after it is at least as high.
	rss, err := readStatus(os.Getpid(), "VmRSS")
	if err != nil || rss <= 0 {
		t.Fatalf("VmRSS of this process: %d, %v", rss, err)
	}
	hwm, err := readStatus(os.Getpid(), "VmHWM")
	if err != nil || hwm < rss {
		t.Errorf("VmHWM %d below VmRSS %d read before it (err %v)", hwm, rss, err)
	}
	if err := resetPeak(os.Getpid()); err != nil {
		t.Logf("VmHWM cannot be reset here (%v): loadgen then reports the peak since start", err)
	}
}

func TestListeningInodesFindsTheListenerOfAPort(t *testing.T) {
	tcp := strings.Join([]string{
		"  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
		"   0: 0100007F:1F90 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4242 1 0000000000000000 100 0 0 10 0",
		"   1: 0100007F:1F90 0100007F:D2F0 01 00000000:00000000 00:00000000 00000000     0        0 4343 1 0000000000000000 20 4 30 10 -1",
		"   2: 00000000:0BB8 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 4444 1 0000000000000000 100 0 0 10 0",
	}, "\n")
	if got := listeningInodes(tcp, 8080); !slices.Equal(got, []string{"4242"}) {
		t.Errorf("port 8080: %v, want [4242] (the established connection is not a listener)", got)
	}
	if got := listeningInodes(tcp, 3000); !slices.Equal(got, []string{"4444"}) {
		t.Errorf("port 3000: %v, want [4444]", got)
	}
	if got := listeningInodes(tcp, 9999); len(got) != 0 {
		t.Errorf("port 9999: %v, want none", got)
	}
	tcp6 := "  sl  local_address                         remote_address                        st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode\n" +
		"   0: 00000000000000000000000000000000:1F90 00000000000000000000000000000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 5151 1 0000000000000000 100 0 0 10 0\n"
	if got := listeningInodes(tcp6, 8080); !slices.Equal(got, []string{"5151"}) {
		t.Errorf("tcp6 port 8080: %v, want [5151]", got)
	}
}

func TestSettingsRefuseWhatCannotRun(t *testing.T) {
	env := func(string) string { return "" }
	tests := []struct {
		name    string
		args    []string
		mention string
	}{
		{"no way to get tokens", []string{}, "--safeguarding"},
		{"one token only", []string{"--com-token", "sgt_x"}, "--liaison-token"},
		{"a service elsewhere", []string{"--safeguarding", "sg", "--url", "http://10.0.0.8:8080"}, "this machine"},
		{"not http", []string{"--safeguarding", "sg", "--url", "ftp://localhost"}, "not an http address"},
		{"no clients", []string{"--safeguarding", "sg", "--clients", "0"}, "--clients"},
		{"a bad mix", []string{"--safeguarding", "sg", "--mix", "get=1,jump=2"}, "jump"},
		{"an argument", []string{"--safeguarding", "sg", "extra"}, "no arguments"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var stderr strings.Builder
			_, err := parseSettings(tt.args, env, &stderr)
			if err == nil || !strings.Contains(err.Error(), tt.mention) {
				t.Errorf("error %v, want one mentioning %q", err, tt.mention)
			}
		})
	}

	o, err := parseSettings([]string{"--url", "http://[::1]:9000/"}, func(name string) string {
		return map[string]string{"LOADGEN_COM_TOKEN": "sgt_c", "LOADGEN_LIAISON_TOKEN": "sgt_l", "SAFEGUARDING_DATA_DIR": "/d"}[name]
	}, &strings.Builder{})
	if err != nil {
		t.Fatal(err)
	}
	if o.comToken != "sgt_c" || o.liaisonToken != "sgt_l" || o.dataDir != "/d" || o.url != "http://[::1]:9000" || o.clients != 16 || o.mix != defaultMix {
		t.Errorf("settings from the environment: %+v", o)
	}
}
