// interop.go — checks poolbook's Merkle proofs and checkpoints with Go's
// golang.org/x/mod/sumdb packages, an implementation poolbook shares no code
// with (DESIGN 4: "Go's tlog (CheckRecord, CheckTree) accepts them", and
// checkpoints are signed notes "exactly as Go's note opens").
//
// It reads the JSON lines of tests/tools/proof_dump, hashes every record
// itself (tlog.RecordHash), keeps its own stored hashes (tlog.StoredHashes)
// and computes every tree root (tlog.TreeHash). Then, for each of poolbook's
// proofs: the leaf hash and roots must equal Go's, tlog.CheckRecord or
// tlog.CheckTree must accept it, it must equal the proof tlog.ProveRecord or
// tlog.ProveTree builds, and each of a set of one-byte tamperings must be
// rejected (so the check is not vacuous). Each checkpoint note must open with
// note.Open under every given verifier key (operator and auditors), its body
// must be "<origin>\n<size>\n<base64 root>\n" with Go's root at that size, and
// a note with one body byte changed must be refused.
//
// Build with Debian's golang-go and golang-golang-x-mod-dev, without modules:
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o interop tests/go/interop.go
//	interop -dump DUMP [-min-size 300] [-note FILE -vkey VERIFIERKEY ...]
//
// It prints counts and exits 0, or prints each failure (the first 20) and
// exits 1; 2 for usage.
package main

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

// maxLine bounds one dump line: a record is at most ~72 KiB, so its base64
// is under 100 KiB.
const maxLine = 1 << 20

// maxFailuresShown bounds the failures printed; all are counted.
const maxFailuresShown = 20

// line is one dump line; which fields are present says what it is.
type line struct {
	Origin   *string  `json:"origin"`
	Size     *int64   `json:"size"`
	Index    *int64   `json:"index"`
	Record   *string  `json:"record"`
	Root     *string  `json:"root"`
	SizeRoot *int64   `json:"size_root"`
	LeafHash *string  `json:"leaf_hash"`
	TreeSize *int64   `json:"tree_size"`
	Proof    []string `json:"proof"`
	OldSize  *int64   `json:"old_size"`
	NewSize  *int64   `json:"new_size"`
	OldRoot  *string  `json:"old_root"`
	NewRoot  *string  `json:"new_root"`
}

// memStore is Go's own copy of the tree: the stored hashes of tlog's layout.
type memStore struct {
	hashes []tlog.Hash
}

func (s *memStore) ReadHashes(indexes []int64) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(indexes))
	for i, x := range indexes {
		if x < 0 || x >= int64(len(s.hashes)) {
			return nil, fmt.Errorf("stored hash %d not present (have %d)", x, len(s.hashes))
		}
		out[i] = s.hashes[x]
	}
	return out, nil
}

type checker struct {
	origin        string
	size          int64 // from the header; -1 until it is read
	store         memStore
	leaves        []tlog.Hash // leaves[i]: Go's hash of record i
	roots         []tlog.Hash // roots[n]: Go's root of the tree of size n (roots[0] unused)
	inclusionSeen []bool      // by n*(n-1)/2 + i
	pairSeen      map[[2]int64]bool
	failures      int

	records, storeRoots, inclusions, consistencies, tamperings int
}

func (c *checker) fail(format string, args ...interface{}) {
	c.failures++
	if c.failures <= maxFailuresShown {
		fmt.Fprintf(os.Stderr, "interop: FAIL: "+format+"\n", args...)
	}
}

// hash parses a base64 hash and insists on its canonical encoding.
func hash(s string) (tlog.Hash, error) {
	h, err := tlog.ParseHash(s)
	if err == nil && h.String() != s {
		err = errors.New("non-canonical base64")
	}
	if err != nil {
		return tlog.Hash{}, fmt.Errorf("hash %q: %v", s, err)
	}
	return h, nil
}

func hashes(list []string) ([]tlog.Hash, error) {
	out := make([]tlog.Hash, len(list))
	for i, s := range list {
		h, err := hash(s)
		if err != nil {
			return nil, err
		}
		out[i] = h
	}
	return out, nil
}

func equalHashes(a, b []tlog.Hash) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// flip returns a copy of list with one bit of byte b of element k changed.
func flip(list []tlog.Hash, k, b int) []tlog.Hash {
	out := append([]tlog.Hash(nil), list...)
	out[k][b%tlog.HashSize] ^= 1 << uint(b%8)
	return out
}

func flipped(h tlog.Hash, b int) tlog.Hash {
	h[b%tlog.HashSize] ^= 0x80 >> uint(b%8)
	return h
}

// addRecord hashes record index (which must be the next one) and extends
// Go's tree and its list of roots.
func (c *checker) addRecord(index int64, b64 string) error {
	if index != int64(len(c.leaves)) {
		return fmt.Errorf("record %d out of order (expected %d)", index, len(c.leaves))
	}
	data, err := base64.StdEncoding.DecodeString(b64)
	if err != nil {
		return fmt.Errorf("record %d: base64: %v", index, err)
	}
	if len(data) == 0 || data[0] != '{' {
		return fmt.Errorf("record %d does not look like a JSON record", index)
	}
	if at := tlog.StoredHashIndex(0, index); at != int64(len(c.store.hashes)) {
		return fmt.Errorf("record %d: stored hash index %d, have %d", index, at, len(c.store.hashes))
	}
	add, err := tlog.StoredHashes(index, data, &c.store)
	if err != nil {
		return fmt.Errorf("record %d: StoredHashes: %v", index, err)
	}
	c.store.hashes = append(c.store.hashes, add...)
	c.leaves = append(c.leaves, tlog.RecordHash(data))
	root, err := tlog.TreeHash(index+1, &c.store)
	if err != nil {
		return fmt.Errorf("record %d: TreeHash: %v", index, err)
	}
	c.roots = append(c.roots, root)
	c.records++
	return nil
}

// sizeOK reports whether 1 <= n <= the number of records read so far.
func (c *checker) sizeOK(n int64) bool {
	return n >= 1 && n <= int64(len(c.leaves))
}

func (c *checker) checkStoreRoot(n int64, b64 string) error {
	if !c.sizeOK(n) {
		return fmt.Errorf("root of size %d: size out of range", n)
	}
	h, err := hash(b64)
	if err != nil {
		return err
	}
	if h != c.roots[n] {
		c.fail("pb_store_root(%d) = %v, Go's TreeHash = %v", n, h, c.roots[n])
	}
	c.storeRoots++
	return nil
}

func (c *checker) checkInclusion(l *line) error {
	i, n := *l.Index, *l.TreeSize
	if l.Root == nil || !c.sizeOK(n) || i < 0 || i >= n {
		return fmt.Errorf("inclusion proof of leaf %d in size %d: malformed or out of range", i, n)
	}
	leaf, err := hash(*l.LeafHash)
	if err != nil {
		return err
	}
	root, err := hash(*l.Root)
	if err != nil {
		return err
	}
	proof, err := hashes(l.Proof)
	if err != nil {
		return err
	}
	seen := n*(n-1)/2 + i
	if c.inclusionSeen[seen] {
		return fmt.Errorf("inclusion proof of leaf %d in size %d appears twice", i, n)
	}
	c.inclusionSeen[seen] = true
	c.inclusions++
	what := fmt.Sprintf("inclusion of leaf %d in tree size %d", i, n)
	if leaf != c.leaves[i] {
		c.fail("%s: leaf_hash %v, Go's RecordHash %v", what, leaf, c.leaves[i])
	}
	if root != c.roots[n] {
		c.fail("%s: root %v, Go's TreeHash %v", what, root, c.roots[n])
	}
	if err := tlog.CheckRecord(tlog.RecordProof(proof), n, c.roots[n], i, c.leaves[i]); err != nil {
		c.fail("%s: tlog.CheckRecord: %v (proof %v)", what, err, proof)
	}
	want, err := tlog.ProveRecord(n, i, &c.store)
	if err != nil {
		return fmt.Errorf("%s: tlog.ProveRecord: %v", what, err)
	}
	if !equalHashes(proof, want) {
		c.fail("%s: proof %v, tlog.ProveRecord gives %v", what, proof, want)
	}
	// Tamperings: each element of the path, the leaf, the root; a path one
	// hash short and one hash long.
	bad := [][]tlog.Hash{}
	for k := range proof {
		bad = append(bad, flip(proof, k, int(i+int64(k))))
	}
	if len(proof) > 0 {
		bad = append(bad, proof[:len(proof)-1])
	}
	bad = append(bad, append(append([]tlog.Hash(nil), proof...), c.leaves[i]))
	for k, p := range bad {
		if tlog.CheckRecord(tlog.RecordProof(p), n, c.roots[n], i, c.leaves[i]) == nil {
			c.fail("%s: tampered proof %d of %d accepted", what, k+1, len(bad))
		}
	}
	if tlog.CheckRecord(tlog.RecordProof(proof), n, c.roots[n], i, flipped(c.leaves[i], int(n))) == nil {
		c.fail("%s: accepted with a tampered leaf hash", what)
	}
	if tlog.CheckRecord(tlog.RecordProof(proof), n, flipped(c.roots[n], int(i)), i, c.leaves[i]) == nil {
		c.fail("%s: accepted with a tampered root", what)
	}
	c.tamperings += len(bad) + 2
	return nil
}

func (c *checker) checkConsistency(l *line) error {
	if l.OldSize == nil || l.NewSize == nil || l.NewRoot == nil {
		return errors.New("consistency proof: missing fields")
	}
	m, n := *l.OldSize, *l.NewSize
	if !c.sizeOK(m) || !c.sizeOK(n) || m > n {
		return fmt.Errorf("consistency proof of sizes %d, %d: out of range", m, n)
	}
	oldRoot, err := hash(*l.OldRoot)
	if err != nil {
		return err
	}
	newRoot, err := hash(*l.NewRoot)
	if err != nil {
		return err
	}
	proof, err := hashes(l.Proof)
	if err != nil {
		return err
	}
	if c.pairSeen[[2]int64{m, n}] {
		return fmt.Errorf("consistency proof of sizes %d, %d appears twice", m, n)
	}
	c.pairSeen[[2]int64{m, n}] = true
	c.consistencies++
	what := fmt.Sprintf("consistency of tree sizes %d and %d", m, n)
	if oldRoot != c.roots[m] || newRoot != c.roots[n] {
		c.fail("%s: roots %v, %v; Go's TreeHash %v, %v", what, oldRoot, newRoot, c.roots[m], c.roots[n])
	}
	if err := tlog.CheckTree(tlog.TreeProof(proof), n, c.roots[n], m, c.roots[m]); err != nil {
		c.fail("%s: tlog.CheckTree: %v (proof %v)", what, err, proof)
	}
	want, err := tlog.ProveTree(n, m, &c.store)
	if err != nil {
		return fmt.Errorf("%s: tlog.ProveTree: %v", what, err)
	}
	if !equalHashes(proof, want) {
		c.fail("%s: proof %v, tlog.ProveTree gives %v", what, proof, want)
	}
	bad := [][]tlog.Hash{}
	for k := range proof {
		bad = append(bad, flip(proof, k, int(m+int64(k))))
	}
	if len(proof) > 0 {
		bad = append(bad, proof[:len(proof)-1])
	}
	bad = append(bad, append(append([]tlog.Hash(nil), proof...), c.roots[m]))
	for k, p := range bad {
		if tlog.CheckTree(tlog.TreeProof(p), n, c.roots[n], m, c.roots[m]) == nil {
			c.fail("%s: tampered proof %d of %d accepted", what, k+1, len(bad))
		}
	}
	if tlog.CheckTree(tlog.TreeProof(proof), n, c.roots[n], m, flipped(c.roots[m], int(n))) == nil {
		c.fail("%s: accepted with a tampered old root", what)
	}
	if tlog.CheckTree(tlog.TreeProof(proof), n, flipped(c.roots[n], int(m)), m, c.roots[m]) == nil {
		c.fail("%s: accepted with a tampered new root", what)
	}
	c.tamperings += len(bad) + 2
	return nil
}

// handle dispatches one dump line by the fields it has.
func (c *checker) handle(l *line) error {
	switch {
	case l.Origin != nil:
		if c.size >= 0 || l.Size == nil || *l.Size < 1 {
			return errors.New("bad or repeated header line")
		}
		c.origin, c.size = *l.Origin, *l.Size
		c.roots = []tlog.Hash{{}}
		c.inclusionSeen = make([]bool, c.size*(c.size+1)/2)
		return nil
	case c.size < 0:
		return errors.New("the dump does not start with its header line")
	case l.Record != nil && l.Index != nil:
		return c.addRecord(*l.Index, *l.Record)
	case int64(len(c.leaves)) != c.size:
		return fmt.Errorf("the dump has %d records, its header says %d", len(c.leaves), c.size)
	case l.SizeRoot != nil && l.Root != nil:
		return c.checkStoreRoot(*l.SizeRoot, *l.Root)
	case l.LeafHash != nil && l.Index != nil && l.TreeSize != nil:
		return c.checkInclusion(l)
	case l.OldRoot != nil:
		return c.checkConsistency(l)
	}
	return errors.New("a line of unknown kind")
}

func (c *checker) readDump(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 64*1024), maxLine)
	lineNo := 0
	for sc.Scan() {
		lineNo++
		var l line
		dec := json.NewDecoder(bytes.NewReader(sc.Bytes()))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&l); err != nil {
			return fmt.Errorf("%s line %d: %v", path, lineNo, err)
		}
		if err := c.handle(&l); err != nil {
			return fmt.Errorf("%s line %d: %v", path, lineNo, err)
		}
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("%s: %v", path, err)
	}
	if c.size < 0 || int64(len(c.leaves)) != c.size {
		return fmt.Errorf("%s: truncated (no header, or fewer records than it says)", path)
	}
	return nil
}

// coverage insists the dump held every proof it should.
func (c *checker) coverage(minSize int64, noteSizes []int64) {
	if c.size < minSize {
		c.fail("the ledger has %d records; this test needs at least %d", c.size, minSize)
	}
	if c.storeRoots != int(c.size) {
		c.fail("%d store roots for %d tree sizes", c.storeRoots, c.size)
	}
	for n := int64(1); n <= c.size; n++ {
		for i := int64(0); i < n; i++ {
			if !c.inclusionSeen[n*(n-1)/2+i] {
				c.fail("no inclusion proof of leaf %d in tree size %d", i, n)
			}
		}
	}
	want := [][2]int64{{1, 1}, {1, 2}, {1, c.size}, {c.size, c.size}}
	for m := int64(1); m <= c.size; m++ {
		want = append(want, [2]int64{m, c.size})
	}
	for _, a := range noteSizes {
		for _, b := range noteSizes {
			if a <= b {
				want = append(want, [2]int64{a, b})
			}
		}
	}
	for _, p := range want {
		if !c.pairSeen[p] {
			c.fail("no consistency proof of tree sizes %d and %d", p[0], p[1])
		}
	}
}

// checkNote opens one checkpoint; it returns the note's tree size (0 on failure).
func (c *checker) checkNote(path string, verifiers []note.Verifier) int64 {
	msg, err := os.ReadFile(path)
	if err != nil {
		c.fail("%v", err)
		return 0
	}
	n, err := note.Open(msg, note.VerifierList(verifiers...))
	if err != nil {
		c.fail("%s: note.Open: %v", path, err)
		return 0
	}
	signed := map[string]bool{}
	for _, s := range n.Sigs {
		signed[s.Name] = true
	}
	for _, v := range verifiers {
		if !signed[v.Name()] {
			c.fail("%s: no verified signature by %s", path, v.Name())
		}
	}
	if len(n.UnverifiedSigs) != 0 {
		c.fail("%s: %d signatures by unknown keys", path, len(n.UnverifiedSigs))
	}
	if !signed[c.origin] {
		c.fail("%s: not signed under the origin %q (the operator's name)", path, c.origin)
	}
	body := strings.Split(n.Text, "\n")
	if len(body) != 4 || body[3] != "" {
		c.fail("%s: body is not three lines: %q", path, n.Text)
		return 0
	}
	size, err := strconv.ParseInt(body[1], 10, 64)
	if err != nil || strconv.FormatInt(size, 10) != body[1] || !c.sizeOK(size) {
		c.fail("%s: tree size %q is not a size of this ledger (1..%d)", path, body[1], c.size)
		return 0
	}
	root, err := hash(body[2])
	if body[0] != c.origin || err != nil || root != c.roots[size] {
		c.fail("%s: body %q; want origin %q and Go's root %v at size %d", path, n.Text, c.origin, c.roots[size], size)
		return 0
	}
	// One body byte changed (the last digit of the size): every signature must fail.
	bad := append([]byte(nil), msg...)
	at := len(body[0]) + len(body[1])
	bad[at] = '0' + (bad[at]-'0'+1)%10
	if _, err := note.Open(bad, note.VerifierList(verifiers...)); err == nil {
		c.fail("%s: a note with a changed size still opens", path)
	} else if _, ok := err.(*note.InvalidSignatureError); !ok {
		c.fail("%s: a changed note fails with %v, not an invalid signature", path, err)
	}
	return size
}

type listFlag []string

func (l *listFlag) String() string     { return strings.Join(*l, ",") }
func (l *listFlag) Set(s string) error { *l = append(*l, s); return nil }

func main() {
	var notes, vkeys listFlag
	dump := flag.String("dump", "", "the JSON lines printed by tests/tools/proof_dump")
	minSize := flag.Int64("min-size", 300, "fail if the ledger has fewer records")
	flag.Var(&notes, "note", "a checkpoint note file (repeat)")
	flag.Var(&vkeys, "vkey", "a note verifier key that must have signed every note (repeat)")
	flag.Parse()
	if *dump == "" || flag.NArg() != 0 || (len(notes) > 0 && len(vkeys) == 0) {
		fmt.Fprintln(os.Stderr, "usage: interop -dump FILE [-min-size N] [-note FILE]... [-vkey KEY]...")
		os.Exit(2)
	}
	var verifiers []note.Verifier
	for _, k := range vkeys {
		v, err := note.NewVerifier(k)
		if err != nil {
			fmt.Fprintf(os.Stderr, "interop: FAIL: verifier key %q: %v\n", k, err)
			os.Exit(1)
		}
		verifiers = append(verifiers, v)
	}
	c := &checker{size: -1, pairSeen: map[[2]int64]bool{}}
	if err := c.readDump(*dump); err != nil {
		fmt.Fprintf(os.Stderr, "interop: FAIL: %v\n", err)
		os.Exit(1)
	}
	var noteSizes []int64
	for _, path := range notes {
		before := c.failures
		if size := c.checkNote(path, verifiers); size > 0 && c.failures == before {
			noteSizes = append(noteSizes, size)
		}
	}
	c.coverage(*minSize, noteSizes)
	fmt.Printf("interop: origin %s, %d records hashed by Go; %d store roots, %d inclusion proofs, "+
		"%d consistency proofs checked with sumdb/tlog, %d tampered proofs rejected; "+
		"%d checkpoints (sizes %v) opened with sumdb/note under %d verifier keys\n",
		c.origin, c.records, c.storeRoots, c.inclusions, c.consistencies, c.tamperings,
		len(noteSizes), noteSizes, len(verifiers))
	if c.failures > 0 {
		fmt.Fprintf(os.Stderr, "interop: %d failures\n", c.failures)
		os.Exit(1)
	}
	fmt.Println("interop: ok")
}
