;; smolmesh Gimli primitives (legacy_tcp, Gimli generation of smolmesh2, 2025).
;;
;; Built to wasm/gimli.wasm by `bun wasm/build.ts`; shares the "env"
;; "memory" with speck.wasm and the link buffers.
;;
;; The state is 48 bytes = 12 little-endian u32 words, held here as three
;; v128 rows (words 0-3, 4-7, 8-11): the permutation works on the four
;; columns at once with 128-bit SIMD.
;;
;;   permute: for round r = 24 down to 1:
;;     x = rotl(row0, 24); y = rotl(row1, 9); z = row2
;;     row2 = x ^ (z << 1) ^ ((y & z) << 2)
;;     row1 = y ^ x ^ ((x | z) << 1)
;;     row0 = z ^ y ^ ((x & y) << 3)
;;     r % 4 == 0: swap words 0<->1 and 2<->3 of row0; word 0 ^= 0x9e377900 ^ r
;;     r % 4 == 2: swap words 0<->2 and 1<->3 of row0
;;
;;   multigimliN(inputs): state = 0; for each input: state[0..8] = len (u64 LE,
;;     overwritten), permute; then for each input, each 16-byte chunk (the
;;     last may be short, an empty input has none): xor into state, permute.
;;     Output state[0..16].
;;
;;   keystream(key): state = 0; state[0..8] = len(key); permute; each 16-byte
;;     chunk of key: xor in, permute. Output state[0..16], permute, next 16, ...
;;
;; Direction context ("ctx", 128 bytes, 16-aligned):
;;   0..48   keystream state
;;   48      i32: keystream bytes of the current block already used (0..16)
;;   64..80  MAC key (16 bytes)
(module
  (import "env" "memory" (memory 1))

  ;; The 24-round permutation of the 48 bytes at $p, in place; four rounds
  ;; per loop turn, written out so the engine keeps the rows in registers.
  (func $permute (export "permute") (param $p i32)
    (local $a v128) (local $b v128) (local $c v128) (local $x v128) (local $y v128) (local $r i32)
    (local.set $a (v128.load (local.get $p)))
    (local.set $b (v128.load offset=16 (local.get $p)))
    (local.set $c (v128.load offset=32 (local.get $p)))
    (local.set $r (i32.const 24))
    (loop $four
      ;; round r (r % 4 == 0): then the small swap and the round constant
      ;; SP-box on all four columns
      (local.set $x (v128.or (i32x4.shl (local.get $a) (i32.const 24)) (i32x4.shr_u (local.get $a) (i32.const 8))))
      (local.set $y (v128.or (i32x4.shl (local.get $b) (i32.const 9)) (i32x4.shr_u (local.get $b) (i32.const 23))))
      (local.set $a (v128.xor (v128.xor (local.get $c) (local.get $y))
        (i32x4.shl (v128.and (local.get $x) (local.get $y)) (i32.const 3))))
      (local.set $b (v128.xor (v128.xor (local.get $y) (local.get $x))
        (i32x4.shl (v128.or (local.get $x) (local.get $c)) (i32.const 1))))
      (local.set $c (v128.xor (v128.xor (local.get $x) (i32x4.shl (local.get $c) (i32.const 1)))
        (i32x4.shl (v128.and (local.get $y) (local.get $c)) (i32.const 2))))
      (local.set $a (i8x16.shuffle 4 5 6 7 0 1 2 3 12 13 14 15 8 9 10 11 (local.get $a) (local.get $a)))
      (local.set $a (v128.xor (local.get $a)
        (i32x4.replace_lane 0 (v128.const i32x4 0 0 0 0) (i32.xor (i32.const 0x9e377900) (local.get $r)))))
      ;; round r - 1
      ;; SP-box on all four columns
      (local.set $x (v128.or (i32x4.shl (local.get $a) (i32.const 24)) (i32x4.shr_u (local.get $a) (i32.const 8))))
      (local.set $y (v128.or (i32x4.shl (local.get $b) (i32.const 9)) (i32x4.shr_u (local.get $b) (i32.const 23))))
      (local.set $a (v128.xor (v128.xor (local.get $c) (local.get $y))
        (i32x4.shl (v128.and (local.get $x) (local.get $y)) (i32.const 3))))
      (local.set $b (v128.xor (v128.xor (local.get $y) (local.get $x))
        (i32x4.shl (v128.or (local.get $x) (local.get $c)) (i32.const 1))))
      (local.set $c (v128.xor (v128.xor (local.get $x) (i32x4.shl (local.get $c) (i32.const 1)))
        (i32x4.shl (v128.and (local.get $y) (local.get $c)) (i32.const 2))))
      ;; round r - 2 (% 4 == 2): then the big swap
      ;; SP-box on all four columns
      (local.set $x (v128.or (i32x4.shl (local.get $a) (i32.const 24)) (i32x4.shr_u (local.get $a) (i32.const 8))))
      (local.set $y (v128.or (i32x4.shl (local.get $b) (i32.const 9)) (i32x4.shr_u (local.get $b) (i32.const 23))))
      (local.set $a (v128.xor (v128.xor (local.get $c) (local.get $y))
        (i32x4.shl (v128.and (local.get $x) (local.get $y)) (i32.const 3))))
      (local.set $b (v128.xor (v128.xor (local.get $y) (local.get $x))
        (i32x4.shl (v128.or (local.get $x) (local.get $c)) (i32.const 1))))
      (local.set $c (v128.xor (v128.xor (local.get $x) (i32x4.shl (local.get $c) (i32.const 1)))
        (i32x4.shl (v128.and (local.get $y) (local.get $c)) (i32.const 2))))
      (local.set $a (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $a) (local.get $a)))
      ;; round r - 3
      ;; SP-box on all four columns
      (local.set $x (v128.or (i32x4.shl (local.get $a) (i32.const 24)) (i32x4.shr_u (local.get $a) (i32.const 8))))
      (local.set $y (v128.or (i32x4.shl (local.get $b) (i32.const 9)) (i32x4.shr_u (local.get $b) (i32.const 23))))
      (local.set $a (v128.xor (v128.xor (local.get $c) (local.get $y))
        (i32x4.shl (v128.and (local.get $x) (local.get $y)) (i32.const 3))))
      (local.set $b (v128.xor (v128.xor (local.get $y) (local.get $x))
        (i32x4.shl (v128.or (local.get $x) (local.get $c)) (i32.const 1))))
      (local.set $c (v128.xor (v128.xor (local.get $x) (i32x4.shl (local.get $c) (i32.const 1)))
        (i32x4.shl (v128.and (local.get $y) (local.get $c)) (i32.const 2))))
      (local.set $r (i32.sub (local.get $r) (i32.const 4)))
      (br_if $four (i32.gt_s (local.get $r) (i32.const 0))))
    (v128.store (local.get $p) (local.get $a))
    (v128.store offset=16 (local.get $p) (local.get $b))
    (v128.store offset=32 (local.get $p) (local.get $c)))

  (func $zero48 (param $s i32)
    (v128.store (local.get $s) (v128.const i32x4 0 0 0 0))
    (v128.store offset=16 (local.get $s) (v128.const i32x4 0 0 0 0))
    (v128.store offset=32 (local.get $s) (v128.const i32x4 0 0 0 0)))

  (func $set_len (param $s i32) (param $len i32)
    (i64.store (local.get $s) (i64.extend_i32_u (local.get $len)))
    (call $permute (local.get $s)))

  ;; XOR [p, p+len) into the state in 16-byte chunks, permuting after each.
  (func $absorb (param $s i32) (param $p i32) (param $len i32)
    (local $end i32) (local $i i32) (local $n i32)
    (local.set $end (i32.add (local.get $p) (local.get $len)))
    (block $done
      (loop $chunk
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (if (i32.ge_u (i32.sub (local.get $end) (local.get $p)) (i32.const 16))
          (then
            (v128.store (local.get $s) (v128.xor (v128.load (local.get $s)) (v128.load (local.get $p))))
            (local.set $p (i32.add (local.get $p) (i32.const 16))))
          (else
            (local.set $n (i32.sub (local.get $end) (local.get $p)))
            (local.set $i (i32.const 0))
            (block $bytesDone
              (loop $bytes
                (br_if $bytesDone (i32.ge_u (local.get $i) (local.get $n)))
                (i32.store8 (i32.add (local.get $s) (local.get $i))
                  (i32.xor (i32.load8_u (i32.add (local.get $s) (local.get $i)))
                    (i32.load8_u (i32.add (local.get $p) (local.get $i)))))
                (local.set $i (i32.add (local.get $i) (i32.const 1)))
                (br $bytes)))
            (local.set $p (local.get $end))))
        (call $permute (local.get $s))
        (br $chunk))))

  ;; multigimli2(x, y) -> 16 bytes at $out; $s is 48 bytes of scratch.
  (func $multigimli2 (export "multigimli2")
    (param $x i32) (param $xLen i32) (param $y i32) (param $yLen i32) (param $out i32) (param $s i32)
    (call $zero48 (local.get $s))
    (call $set_len (local.get $s) (local.get $xLen))
    (call $set_len (local.get $s) (local.get $yLen))
    (call $absorb (local.get $s) (local.get $x) (local.get $xLen))
    (call $absorb (local.get $s) (local.get $y) (local.get $yLen))
    (v128.store (local.get $out) (v128.load (local.get $s))))

  ;; multigimli3(x, y, z) -> 16 bytes at $out; $s is 48 bytes of scratch.
  (func (export "multigimli3")
    (param $x i32) (param $xLen i32) (param $y i32) (param $yLen i32) (param $z i32) (param $zLen i32)
    (param $out i32) (param $s i32)
    (call $zero48 (local.get $s))
    (call $set_len (local.get $s) (local.get $xLen))
    (call $set_len (local.get $s) (local.get $yLen))
    (call $set_len (local.get $s) (local.get $zLen))
    (call $absorb (local.get $s) (local.get $x) (local.get $xLen))
    (call $absorb (local.get $s) (local.get $y) (local.get $yLen))
    (call $absorb (local.get $s) (local.get $z) (local.get $zLen))
    (v128.store (local.get $out) (v128.load (local.get $s))))

  ;; Keystream state from a key of any length (on the wire: the 16-byte enc key).
  (func $ks_init (export "ks_init") (param $ctx i32) (param $key i32) (param $keyLen i32)
    (call $zero48 (local.get $ctx))
    (call $set_len (local.get $ctx) (local.get $keyLen))
    (call $absorb (local.get $ctx) (local.get $key) (local.get $keyLen))
    (i32.store offset=48 (local.get $ctx) (i32.const 0)))

  ;; A direction: keystream from the enc key, and the MAC key kept.
  (func (export "ctx_init") (param $ctx i32) (param $encKey i32) (param $macKey i32)
    (call $ks_init (local.get $ctx) (local.get $encKey) (i32.const 16))
    (v128.store offset=64 (local.get $ctx) (v128.load (local.get $macKey))))

  ;; XOR the keystream over [p, p+len) in place, continuing the stream.
  (func $ks_xor (export "ks_xor") (param $ctx i32) (param $p i32) (param $len i32)
    (local $end i32) (local $pos i32)
    (local.set $end (i32.add (local.get $p) (local.get $len)))
    (local.set $pos (i32.load offset=48 (local.get $ctx)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (if (i32.eq (local.get $pos) (i32.const 16))
          (then
            (call $permute (local.get $ctx))
            (local.set $pos (i32.const 0))))
        (if (i32.and (i32.eqz (local.get $pos)) (i32.ge_u (i32.sub (local.get $end) (local.get $p)) (i32.const 16)))
          (then
            ;; a whole block
            (v128.store (local.get $p) (v128.xor (v128.load (local.get $p)) (v128.load (local.get $ctx))))
            (local.set $p (i32.add (local.get $p) (i32.const 16)))
            (local.set $pos (i32.const 16)))
          (else
            (i32.store8 (local.get $p) (i32.xor (i32.load8_u (local.get $p))
              (i32.load8_u (i32.add (local.get $ctx) (local.get $pos)))))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (local.set $pos (i32.add (local.get $pos) (i32.const 1)))))
        (br $next)))
    (i32.store offset=48 (local.get $ctx) (local.get $pos)))

  ;; The frame MAC: multigimli2(mac_key, payload) -> 16 bytes at $out ($s: 48 scratch bytes).
  (func $mac (export "mac") (param $ctx i32) (param $p i32) (param $len i32) (param $out i32) (param $s i32)
    (call $multigimli2 (i32.add (local.get $ctx) (i32.const 64)) (i32.const 16) (local.get $p) (local.get $len)
      (local.get $out) (local.get $s)))

  ;; Seal the frame whose payload is at $f+2: length, MAC, encryption in place. Returns len + 18.
  (func (export "seal") (param $ctx i32) (param $f i32) (param $len i32) (param $s i32) (result i32)
    (i32.store16 (local.get $f) (local.get $len))
    (call $mac (local.get $ctx) (i32.add (local.get $f) (i32.const 2)) (local.get $len)
      (i32.add (i32.add (local.get $f) (i32.const 2)) (local.get $len)) (local.get $s))
    (call $ks_xor (local.get $ctx) (local.get $f) (i32.add (local.get $len) (i32.const 18)))
    (i32.add (local.get $len) (i32.const 18)))

  ;; 1 when the decrypted MAC after the payload [p, p+len) matches.
  (func (export "verify") (param $ctx i32) (param $p i32) (param $len i32) (param $s i32) (result i32)
    (call $mac (local.get $ctx) (local.get $p) (local.get $len) (local.get $s) (local.get $s))
    (i32.eqz (i32.xor (i32.const 0xffff)
      (i8x16.bitmask (i8x16.eq (v128.load (local.get $s)) (v128.load (i32.add (local.get $p) (local.get $len))))))))

  ;; Standard Gimli-Hash (32 bytes), kept for the vectors: rate 16, pad 0x1f, then 0x80 at byte 15.
  (func (export "gimli_hash") (param $p i32) (param $len i32) (param $out i32) (param $s i32)
    (local $end i32) (local $i i32) (local $n i32)
    (call $zero48 (local.get $s))
    (local.set $end (i32.add (local.get $p) (local.get $len)))
    (block $full
      (loop $blocks
        (br_if $full (i32.lt_u (i32.sub (local.get $end) (local.get $p)) (i32.const 16)))
        (v128.store (local.get $s) (v128.xor (v128.load (local.get $s)) (v128.load (local.get $p))))
        (call $permute (local.get $s))
        (local.set $p (i32.add (local.get $p) (i32.const 16)))
        (br $blocks)))
    (local.set $n (i32.sub (local.get $end) (local.get $p)))
    (block $tailDone
      (loop $tail
        (br_if $tailDone (i32.ge_u (local.get $i) (local.get $n)))
        (i32.store8 (i32.add (local.get $s) (local.get $i))
          (i32.xor (i32.load8_u (i32.add (local.get $s) (local.get $i)))
            (i32.load8_u (i32.add (local.get $p) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $tail)))
    (i32.store8 (i32.add (local.get $s) (local.get $n))
      (i32.xor (i32.load8_u (i32.add (local.get $s) (local.get $n))) (i32.const 0x1f)))
    (i32.store8 offset=15 (local.get $s) (i32.xor (i32.load8_u offset=15 (local.get $s)) (i32.const 0x80)))
    (call $permute (local.get $s))
    (v128.store (local.get $out) (v128.load (local.get $s)))
    (call $permute (local.get $s))
    (v128.store offset=16 (local.get $out) (v128.load (local.get $s))))
)
