// tiles.go — checks a folder of C2SP tlog-tiles written by `poolbook tiles`
// (or fetched from `poolbook serve`) with Go's golang.org/x/mod/sumdb/tlog,
// an implementation poolbook shares no code with (DESIGN 9).
//
// The checkpoint must open with note.Open under every given verifier key.
// Every file under DIR/tile must be a tile path that tlog.ParseTilePath
// takes (after the C2SP spelling "tile/<L>/..." is turned into Go's
// "tile/8/<L>/..." and "tile/entries/..." into "tile/8/data/...") and that
// Tile.Path spells back the same; the set of files must be exactly the tiles
// of the checkpoint's tree (tlog.NewTiles, the widest partial tile of each
// level). Every hash tile is read through tlog.TileHashReader over the
// checkpoint's tree (which authenticates each tile against the root), and
// tlog.ReadTileData of that reader must give the file's bytes; tlog.TreeHash
// through it must equal the checkpoint's root. Every entry bundle is split
// by its big-endian uint16 lengths into exactly W records whose
// tlog.RecordHash equals tlog.HashFromTile of the level-0 tile; Go also
// rebuilds the tree from those records (tlog.StoredHashes) and every hash
// tile must equal its own (TileHashReader authenticates only the tiles a
// read needs). Finally one
// byte of one tile is changed and the reader must refuse it, so the check is
// not vacuous.
//
//	GO111MODULE=off GOPATH=/usr/share/gocode go build -o tiles tests/go/tiles.go
//	tiles -dir DIR -vkey VERIFIERKEY [-vkey ...] [-min-size N]
//	tiles -proof FILE -record FILE -vkey VERIFIERKEY
//
// The second form checks a c2sp.org/tlog-proof@v1 (the answer to POST
// /add-entry): its checkpoint opens under the key, and tlog.CheckRecord
// accepts its inclusion proof for the record's tlog.RecordHash at its index.
//
// Prints counts and exits 0, or prints the failures and exits 1; 2 for usage.
package main

import (
	"bytes"
	"encoding/base64"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"golang.org/x/mod/sumdb/note"
	"golang.org/x/mod/sumdb/tlog"
)

const height = 8

type keys []string

func (k *keys) String() string     { return strings.Join(*k, ",") }
func (k *keys) Set(v string) error { *k = append(*k, v); return nil }

// goPath turns a C2SP tile path into Go's spelling, which names the height.
func goPath(c2sp string) string {
	rest := strings.TrimPrefix(c2sp, "tile/")
	if strings.HasPrefix(rest, "entries/") {
		return "tile/8/data/" + strings.TrimPrefix(rest, "entries/")
	}
	return "tile/8/" + rest
}

// c2spPath is the inverse of goPath.
func c2spPath(t tlog.Tile) string {
	p := strings.TrimPrefix(t.Path(), "tile/8/")
	if strings.HasPrefix(p, "data/") {
		return "tile/entries/" + strings.TrimPrefix(p, "data/")
	}
	return "tile/" + p
}

// dirTiles is a tlog.TileReader over the folder; flip, when set, changes
// one byte of that tile as it is read.
type dirTiles struct {
	dir  string
	flip string
	read int
}

func (d *dirTiles) Height() int { return height }

func (d *dirTiles) ReadTiles(tiles []tlog.Tile) ([][]byte, error) {
	out := make([][]byte, len(tiles))
	for i, t := range tiles {
		p := c2spPath(t)
		b, err := os.ReadFile(filepath.Join(d.dir, p))
		if err != nil {
			return nil, err
		}
		if p == d.flip && len(b) > 0 {
			b[len(b)/2] ^= 1
		}
		out[i] = b
		d.read++
	}
	return out, nil
}

func (d *dirTiles) SaveTiles([]tlog.Tile, [][]byte) {}

type checker struct {
	failures int
}

func (c *checker) fail(format string, args ...any) {
	c.failures++
	if c.failures <= 20 {
		fmt.Fprintf(os.Stderr, "tiles: FAIL: "+format+"\n", args...)
	}
}

// openCheckpoint opens DIR/checkpoint with every key and returns the tree.
func openCheckpoint(dir string, vkeys []string) (tlog.Tree, error) {
	text, err := os.ReadFile(filepath.Join(dir, "checkpoint"))
	if err != nil {
		return tlog.Tree{}, err
	}
	for _, vk := range vkeys {
		v, err := note.NewVerifier(vk)
		if err != nil {
			return tlog.Tree{}, fmt.Errorf("verifier %q: %v", vk, err)
		}
		if _, err := note.Open(text, note.VerifierList(v)); err != nil {
			return tlog.Tree{}, fmt.Errorf("checkpoint under %s: %v", v.Name(), err)
		}
	}
	lines := strings.SplitN(string(text), "\n", 4)
	if len(lines) < 4 {
		return tlog.Tree{}, errors.New("checkpoint body is not three lines")
	}
	n, err := strconv.ParseInt(lines[1], 10, 64)
	if err != nil {
		return tlog.Tree{}, fmt.Errorf("tree size %q: %v", lines[1], err)
	}
	h, err := tlog.ParseHash(lines[2])
	if err != nil {
		return tlog.Tree{}, fmt.Errorf("root %q: %v", lines[2], err)
	}
	return tlog.Tree{N: n, Hash: h}, nil
}

// expected is the set of tiles a tree of size n publishes: tlog.NewTiles from
// zero, keeping only the widest partial tile of each level, and the entry
// bundles matching level 0.
func expected(n int64) map[string]tlog.Tile {
	want := map[string]tlog.Tile{}
	widest := map[[2]int64]tlog.Tile{}
	for _, t := range tlog.NewTiles(height, 0, n) {
		k := [2]int64{int64(t.L), t.N}
		if w, ok := widest[k]; !ok || t.W > w.W {
			widest[k] = t
		}
	}
	for _, t := range widest {
		want[c2spPath(t)] = t
		if t.L == 0 {
			d := t
			d.L = -1
			want[c2spPath(d)] = d
		}
	}
	return want
}

// listed walks DIR/tile and parses every file name with tlog.ParseTilePath.
func (c *checker) listed(dir string) map[string]tlog.Tile {
	got := map[string]tlog.Tile{}
	root := filepath.Join(dir, "tile")
	err := filepath.WalkDir(root, func(p string, e fs.DirEntry, err error) error {
		if err != nil || e.IsDir() {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		t, perr := tlog.ParseTilePath(goPath(rel))
		if perr != nil {
			c.fail("%s: %v", rel, perr)
			return nil
		}
		if back := c2spPath(t); back != rel {
			c.fail("%s: tlog spells this tile %s", rel, back)
		}
		got[rel] = t
		return nil
	})
	if err != nil {
		c.fail("walking %s: %v", root, err)
	}
	return got
}

// memStore is Go's own copy of the tree, built from the entry bundles with
// tlog.StoredHashes: an oracle for every hash tile that does not depend on
// which tiles tlog.TileHashReader chooses to authenticate.
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

// readBundles splits every entry bundle, in order, into its records.
func (c *checker) readBundles(dir string, tiles map[string]tlog.Tile, n int64) [][]byte {
	var records [][]byte
	for k := int64(0); k<<height < n; k++ {
		w := n - k<<height
		if w > 1<<height {
			w = 1 << height
		}
		t := tlog.Tile{H: height, L: -1, N: k, W: int(w)}
		p := c2spPath(t)
		b, err := os.ReadFile(filepath.Join(dir, p))
		if err != nil {
			c.fail("%s: %v", p, err)
			return nil
		}
		for i := 0; i < t.W; i++ {
			if len(b) < 2 {
				c.fail("%s: record %d is cut short", p, i)
				return nil
			}
			m := int(b[0])<<8 | int(b[1])
			if len(b) < 2+m {
				c.fail("%s: record %d is cut short", p, i)
				return nil
			}
			records = append(records, b[2:2+m])
			b = b[2+m:]
		}
		if len(b) != 0 {
			c.fail("%s: %d bytes after its %d records", p, len(b), t.W)
		}
	}
	return records
}

// checkHashTiles checks every hash tile twice: equal to the tile Go builds
// from the records (memStore), and read through tlog.TileHashReader over the
// signed tree. flip names a tile to change one byte of as it is read.
func (c *checker) checkHashTiles(dir string, tree tlog.Tree, tiles map[string]tlog.Tile,
	mem *memStore, flip string) {
	r := tlog.TileHashReader(tree, &dirTiles{dir: dir, flip: flip})
	for p, t := range tiles {
		if t.L < 0 {
			continue
		}
		file, err := os.ReadFile(filepath.Join(dir, p))
		if err != nil {
			c.fail("%s: %v", p, err)
			continue
		}
		if p == flip {
			file[len(file)/2] ^= 1
		}
		own, err := tlog.ReadTileData(t, mem)
		if err != nil || !bytes.Equal(own, file) {
			c.fail("%s: not the tile of the records' tree (%v)", p, err)
		}
		data, err := tlog.ReadTileData(t, r)
		if err != nil {
			c.fail("%s: %v", p, err)
		} else if !bytes.Equal(file, data) {
			c.fail("%s: the file is not the authenticated tile", p)
		}
	}
	th, err := tlog.TreeHash(tree.N, r)
	if err != nil || th != tree.Hash {
		c.fail("TreeHash through the tiles: %v (%v, checkpoint %v)", err, th, tree.Hash)
	}
}

// checkLeaves checks each record against tlog.HashFromTile of its level-0 tile.
func (c *checker) checkLeaves(dir string, records [][]byte) {
	for i, rec := range records {
		t := tlog.TileForIndex(height, tlog.StoredHashIndex(0, int64(i)))
		t.W = int(int64(len(records)) - t.N<<height)
		if t.W > 1<<height {
			t.W = 1 << height
		}
		data, err := os.ReadFile(filepath.Join(dir, c2spPath(t)))
		if err != nil {
			c.fail("%s: %v", c2spPath(t), err)
			return
		}
		want, err := tlog.HashFromTile(t, data, tlog.StoredHashIndex(0, int64(i)))
		if err != nil || tlog.RecordHash(rec) != want {
			c.fail("record %d does not hash to its leaf in %s (%v)", i, c2spPath(t), err)
		}
	}
}

// checkTamper changes one byte of each hash tile in turn: the checks above
// must refuse every one.
func checkTamper(dir string, tree tlog.Tree, tiles map[string]tlog.Tile, mem *memStore) (int, []string) {
	refused := 0
	var missed []string
	for p, t := range tiles {
		if t.L < 0 {
			continue
		}
		quiet := &checker{failures: 1000} // counts, prints nothing
		quiet.checkHashTiles(dir, tree, tiles, mem, p)
		if quiet.failures > 1000 {
			refused++
		} else {
			missed = append(missed, p)
		}
	}
	return refused, missed
}

// checkProof checks a tlog-proof text against a record and a verifier key.
func checkProof(proofFile, recordFile string, vkeys []string) error {
	text, err := os.ReadFile(proofFile)
	if err != nil {
		return err
	}
	record, err := os.ReadFile(recordFile)
	if err != nil {
		return err
	}
	head, cp, ok := strings.Cut(string(text), "\n\n")
	if !ok {
		return errors.New("no blank line before the checkpoint")
	}
	lines := strings.Split(head, "\n")
	if len(lines) < 2 || lines[0] != "c2sp.org/tlog-proof@v1" || !strings.HasPrefix(lines[1], "index ") {
		return fmt.Errorf("header lines %q", lines[:2])
	}
	index, err := strconv.ParseInt(strings.TrimPrefix(lines[1], "index "), 10, 64)
	if err != nil {
		return err
	}
	var proof tlog.RecordProof
	for _, l := range lines[2:] {
		h, err := tlog.ParseHash(l)
		if err != nil {
			return fmt.Errorf("proof hash %q: %v", l, err)
		}
		proof = append(proof, h)
	}
	dir, err := os.MkdirTemp("", "tlog-proof")
	if err != nil {
		return err
	}
	defer os.RemoveAll(dir)
	if err := os.WriteFile(filepath.Join(dir, "checkpoint"), []byte(cp), 0o644); err != nil {
		return err
	}
	tree, err := openCheckpoint(dir, vkeys)
	if err != nil {
		return err
	}
	if err := tlog.CheckRecord(proof, tree.N, tree.Hash, index, tlog.RecordHash(record)); err != nil {
		return fmt.Errorf("CheckRecord(index %d, size %d): %v", index, tree.N, err)
	}
	fmt.Printf("tiles: proof of index %d in tree size %d checks\n", index, tree.N)
	return nil
}

func main() {
	dir := flag.String("dir", "", "the folder of tiles")
	proofFile := flag.String("proof", "", "a tlog-proof to check (with -record)")
	recordFile := flag.String("record", "", "the record's canonical bytes (with -proof)")
	minSize := flag.Int64("min-size", 1, "the smallest tree size accepted")
	var vkeys keys
	flag.Var(&vkeys, "vkey", "a note verifier key the checkpoint must open with (repeat)")
	flag.Parse()
	if *proofFile != "" && *recordFile != "" && len(vkeys) > 0 {
		if err := checkProof(*proofFile, *recordFile, vkeys); err != nil {
			fmt.Fprintf(os.Stderr, "tiles: FAIL: %v\n", err)
			os.Exit(1)
		}
		return
	}
	if *dir == "" || len(vkeys) == 0 || flag.NArg() != 0 {
		fmt.Fprintln(os.Stderr, "usage: tiles -dir DIR -vkey KEY [-vkey KEY...] [-min-size N]")
		os.Exit(2)
	}
	c := &checker{}
	tree, err := openCheckpoint(*dir, vkeys)
	if err != nil {
		fmt.Fprintf(os.Stderr, "tiles: FAIL: %v\n", err)
		os.Exit(1)
	}
	if tree.N < *minSize {
		c.fail("tree size %d is under %d", tree.N, *minSize)
	}
	got := c.listed(*dir)
	want := expected(tree.N)
	for p := range want {
		if _, ok := got[p]; !ok {
			c.fail("missing tile %s", p)
		}
	}
	for p := range got {
		if _, ok := want[p]; !ok {
			c.fail("unexpected tile %s", p)
		}
	}
	records := c.readBundles(*dir, got, tree.N)
	if int64(len(records)) != tree.N {
		c.fail("entry bundles hold %d records, the checkpoint %d", len(records), tree.N)
	}
	mem := &memStore{}
	for i, rec := range records {
		add, err := tlog.StoredHashes(int64(i), rec, mem)
		if err != nil {
			c.fail("record %d: StoredHashes: %v", i, err)
			break
		}
		mem.hashes = append(mem.hashes, add...)
	}
	if th, err := tlog.TreeHash(tree.N, mem); err != nil || th != tree.Hash {
		c.fail("the records' tree hash %v is not the checkpoint's %v (%v)", th, tree.Hash, err)
	}
	c.checkHashTiles(*dir, tree, got, mem, "")
	c.checkLeaves(*dir, records)
	refused, missed := checkTamper(*dir, tree, got, mem)
	for _, p := range missed {
		c.fail("%s with one byte changed was accepted", p)
	}
	if c.failures > 0 {
		fmt.Fprintf(os.Stderr, "tiles: %d failures\n", c.failures)
		os.Exit(1)
	}
	fmt.Printf("tiles: tree size %d, root %s: %d tiles parsed and authenticated, %d records "+
		"hashed, %d changed tiles refused\n", tree.N, base64.StdEncoding.EncodeToString(tree.Hash[:]),
		len(got), len(records), refused)
}
