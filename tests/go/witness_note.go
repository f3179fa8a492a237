// witness_note.go — opens a poolbook checkpoint that carries partners'
// witness lines with Go's golang.org/x/mod/sumdb/note (docs/witness.md).
// Debian's x/mod (0.7.0) knows only Ed25519 note keys (type 0x01), so note.Open
// verifies the operator's line and keeps each witness's cosignature/v1 line in
// UnverifiedSigs; this program then checks each of those from the C2SP
// tlog-cosignature text with Go's own crypto: the 4-byte hash is
// SHA-256(name || "\n" || 0x04 || key)[:4] of the witness verifier key given,
// and the Ed25519 signature (after the 8-byte big-endian timestamp) verifies
// over "cosignature/v1\ntime <t>\n" followed by the note body.
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o witness_note tests/go/witness_note.go
//	witness_note -note FILE -vkey OPERATORVKEY -witness WITNESSVKEY...
//
// Prints what it checked and exits 0, or prints the failure and exits 1; 2 for usage.
package main

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"flag"
	"fmt"
	"os"
	"strings"

	"golang.org/x/mod/sumdb/note"
)

type witnesses []string

func (w *witnesses) String() string     { return strings.Join(*w, ",") }
func (w *witnesses) Set(s string) error { *w = append(*w, s); return nil }

func fail(format string, args ...interface{}) {
	fmt.Printf("witness_note: FAIL: "+format+"\n", args...)
	os.Exit(1)
}

// A cosigner verifier key: name+hex(key hash)+base64(0x04 || key).
func parseCosigner(vkey string) (name string, hash []byte, key ed25519.PublicKey) {
	parts := strings.SplitN(vkey, "+", 3)
	if len(parts) != 3 {
		fail("%q is not name+hash+key", vkey)
	}
	raw, err := base64.StdEncoding.DecodeString(parts[2])
	if err != nil || len(raw) != 33 || raw[0] != 0x04 {
		fail("%q is not a cosignature/v1 (0x04) Ed25519 key", vkey)
	}
	h := sha256.Sum256(append([]byte(parts[0]+"\n\x04"), raw[1:]...))
	if hex.EncodeToString(h[:4]) != parts[1] {
		fail("key hash %s of %s, the spec derives %x", parts[1], parts[0], h[:4])
	}
	return parts[0], h[:4], ed25519.PublicKey(raw[1:])
}

func main() {
	notePath := flag.String("note", "", "the checkpoint note")
	vkey := flag.String("vkey", "", "the operator's note verifier key")
	var ws witnesses
	flag.Var(&ws, "witness", "a witness's cosigner verifier key (repeats)")
	flag.Parse()
	if *notePath == "" || *vkey == "" || len(ws) == 0 {
		flag.Usage()
		os.Exit(2)
	}
	msg, err := os.ReadFile(*notePath)
	if err != nil {
		fail("%v", err)
	}
	v, err := note.NewVerifier(*vkey)
	if err != nil {
		fail("operator key: %v", err)
	}
	n, err := note.Open(msg, note.VerifierList(v))
	if err != nil {
		fail("note.Open: %v", err)
	}
	if len(n.Sigs) != 1 || n.Sigs[0].Name != v.Name() {
		fail("note.Open verified %d signatures, want the operator's", len(n.Sigs))
	}
	fmt.Printf("note.Open: operator %s verified; %d other lines kept unverified\n", v.Name(), len(n.UnverifiedSigs))
	for _, w := range ws {
		name, hash, key := parseCosigner(w)
		found := false
		for _, s := range n.UnverifiedSigs {
			if s.Name != name {
				continue
			}
			raw, err := base64.StdEncoding.DecodeString(s.Base64)
			if err != nil || len(raw) != 4+8+64 || !bytes.Equal(raw[:4], hash) {
				fail("the line of %s is not a cosignature/v1 with key hash %x", name, hash)
			}
			if binary.BigEndian.Uint32(raw[:4]) != s.Hash {
				fail("note.Open read hash %08x for %s, the line holds %x", s.Hash, name, raw[:4])
			}
			t := binary.BigEndian.Uint64(raw[4:12])
			signed := append([]byte(fmt.Sprintf("cosignature/v1\ntime %d\n", t)), []byte(n.Text)...)
			if !ed25519.Verify(key, signed, raw[12:]) {
				fail("the cosignature of %s does not verify", name)
			}
			found = true
			fmt.Printf("witness %s: key hash %x, time %d, cosignature/v1 verified\n", name, hash, t)
		}
		if !found {
			fail("no line by witness %s", name)
		}
	}
	// Not vacuous: a note with one body byte changed is refused.
	bad := bytes.Replace(msg, []byte("\n\n"), []byte("x\n\n"), 1)
	if _, err := note.Open(bad, note.VerifierList(v)); err == nil {
		fail("a changed body still opened")
	}
	fmt.Println("witness_note: ok")
}
