;; smolmesh SPECK primitives (legacy_tcp, SPECK generation of smolmesh2).
;;
;; Built to wasm/speck.wasm by `bun wasm/build.ts` (wabt's wat2wasm from the
;; npm registry); the .wasm is committed and a test rebuilds it and compares
;; the bytes. The module imports its memory ("env" "memory"), shared with the
;; other cipher modules and the link buffers, so a frame can be received,
;; decrypted, verified and re-sealed without leaving it. The TypeScript side
;; in src/crypto/ owns the memory layout and passes pointers.
;;
;; Round function, exactly as the original's raw_speck.rs:
;;   ernd(x, y, k): x = ror(x, 8); x += y; x ^= k; y = rol(y, 3); y ^= x
;;
;; Direction context ("ctx", 336 bytes, 8-aligned), one per link direction:
;;   0..256   32 round keys of the keystream (key_schedule(enc_key, 32))
;;   256      counter high word (a), u64
;;   264      counter low word (b), u64, incremented before each block
;;   272..288 the current keystream block (a LE || b LE)
;;   288      i32: bytes of the current block already used (16 = none left)
;;   296      u64: MAC state a after absorbing the MAC key (multispeck2 prefix)
;;   304      u64: MAC state b after absorbing the MAC key
;;   312      i32: prefetch ring address (0: none), 4096 blocks of 16 bytes
;;   316      i32: ring slot of the next prefetched block
;;   320      i32: prefetched blocks waiting (they continue the counter)
(module
  (import "env" "memory" (memory 1))

  (func $ernd (export "ernd") (param $x i64) (param $y i64) (param $k i64) (result i64 i64)
    (local.set $x (i64.xor (i64.add (i64.rotr (local.get $x) (i64.const 8)) (local.get $y)) (local.get $k)))
    (local.set $y (i64.xor (i64.rotl (local.get $y) (i64.const 3)) (local.get $x)))
    (local.get $x)
    (local.get $y))

  ;; The exact inverse of ernd.
  (func (export "drnd") (param $x i64) (param $y i64) (param $k i64) (result i64 i64)
    (local.set $y (i64.rotr (i64.xor (local.get $y) (local.get $x)) (i64.const 3)))
    (local.set $x (i64.rotl (i64.sub (i64.xor (local.get $x) (local.get $k)) (local.get $y)) (i64.const 8)))
    (local.get $x)
    (local.get $y))

  ;; Encrypt one block (x, y) with the 32 round keys at $rk: textbook
  ;; Speck128, exported so tests can check the published Speck128/128 vector
  ;; against this module's round function and key schedule.
  (func (export "encrypt_block") (param $rk i32) (param $x i64) (param $y i64) (result i64 i64)
    (local $end i32)
    (local.set $end (i32.add (local.get $rk) (i32.const 256)))
    (loop $round
      (call $ernd (local.get $x) (local.get $y) (i64.load (local.get $rk)))
      (local.set $y) (local.set $x)
      (local.set $rk (i32.add (local.get $rk) (i32.const 8)))
      (br_if $round (i32.lt_u (local.get $rk) (local.get $end))))
    (local.get $x)
    (local.get $y))

  ;; key_schedule(key, rounds): key words are little-endian u64; b = word 0,
  ;; a = words 1.. (copied to $scratch, keyLen - 8 bytes); for each round i:
  ;; emit b, then (a[i % len_a], b) = ernd(a[i % len_a], b, i).
  ;; Returns 0, or -1 when keyLen is not a multiple of 8 or is under 16.
  (func $key_schedule (export "key_schedule")
    (param $key i32) (param $keyLen i32) (param $rounds i32) (param $out i32) (param $scratch i32)
    (result i32)
    (local $b i64) (local $lenA i32) (local $i i32) (local $slot i32) (local $x i64)
    (if (i32.or (i32.and (local.get $keyLen) (i32.const 7)) (i32.lt_u (local.get $keyLen) (i32.const 16)))
      (then (return (i32.const -1))))
    (local.set $lenA (i32.sub (i32.shr_u (local.get $keyLen) (i32.const 3)) (i32.const 1)))
    (memory.copy (local.get $scratch) (i32.add (local.get $key) (i32.const 8)) (i32.sub (local.get $keyLen) (i32.const 8)))
    (local.set $b (i64.load (local.get $key)))
    (block $done
      (loop $round
        (br_if $done (i32.ge_u (local.get $i) (local.get $rounds)))
        (i64.store (i32.add (local.get $out) (i32.shl (local.get $i) (i32.const 3))) (local.get $b))
        (local.set $slot (i32.add (local.get $scratch)
          (i32.shl (i32.rem_u (local.get $i) (local.get $lenA)) (i32.const 3))))
        (local.set $x (i64.xor
          (i64.add (i64.rotr (i64.load (local.get $slot)) (i64.const 8)) (local.get $b))
          (i64.extend_i32_u (local.get $i))))
        (i64.store (local.get $slot) (local.get $x))
        (local.set $b (i64.xor (i64.rotl (local.get $b) (i64.const 3)) (local.get $x)))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $round)))
    (i32.const 0))

  ;; Absorb one input the multispeck way: ernd(len), ernd(byte) for each
  ;; byte, then ernd(0).
  (func $absorb (param $a i64) (param $b i64) (param $p i32) (param $len i32) (result i64 i64)
    (local $end i32) (local $end8 i32) (local $w i64)
    (local.set $end (i32.add (local.get $p) (local.get $len)))
    (local.set $end8 (i32.add (local.get $p) (i32.and (local.get $len) (i32.const -8))))
    (call $ernd (local.get $a) (local.get $b) (i64.extend_i32_u (local.get $len)))
    (local.set $b)
    (local.set $a)
    ;; eight bytes per iteration: one load, eight rounds
    (block $done8
      (loop $eight
        (br_if $done8 (i32.ge_u (local.get $p) (local.get $end8)))
        (local.set $w (i64.load (local.get $p)))
        (local.set $a (i64.xor (i64.add (i64.rotr (local.get $a) (i64.const 8)) (local.get $b)) (i64.and (local.get $w) (i64.const 0xff))))
        (local.set $b (i64.xor (i64.rotl (local.get $b) (i64.const 3)) (local.get $a)))
        (local.set $a (i64.xor (i64.add (i64.rotr (local.get $a) (i64.const 8)) (local.get $b)) (i64.and (i64.shr_u (local.get $w) (i64.const 8)) (i64.const 0xff))))
        (local.set $b (i64.xor (i64.rotl (local.get $b) (i64.const 3)) (local.get $a)))
        (local.set $a (i64.xor (i64.add (i64.rotr (local.get $a) (i64.const 8)) (local.get $b)) (i64.and (i64.shr_u (local.get $w) (i64.const 16)) (i64.const 0xff))))
        (local.set $b (i64.xor (i64.rotl (local.get $b) (i64.const 3)) (local.get $a)))
        (local.set $a (i64.xor (i64.add (i64.rotr (local.get $a) (i64.const 8)) (local.get $b)) (i64.and (i64.shr_u (local.get $w) (i64.const 24)) (i64.const 0xff))))
        (local.set $b (i64.xor (i64.rotl (local.get $b) (i64.const 3)) (local.get $a)))
        (local.set $a (i64.xor (i64.add (i64.rotr (local.get $a) (i64.const 8)) (local.get $b)) (i64.and (i64.shr_u (local.get $w) (i64.const 32)) (i64.const 0xff))))
        (local.set $b (i64.xor (i64.rotl (local.get $b) (i64.const 3)) (local.get $a)))
        (local.set $a (i64.xor (i64.add (i64.rotr (local.get $a) (i64.const 8)) (local.get $b)) (i64.and (i64.shr_u (local.get $w) (i64.const 40)) (i64.const 0xff))))
        (local.set $b (i64.xor (i64.rotl (local.get $b) (i64.const 3)) (local.get $a)))
        (local.set $a (i64.xor (i64.add (i64.rotr (local.get $a) (i64.const 8)) (local.get $b)) (i64.and (i64.shr_u (local.get $w) (i64.const 48)) (i64.const 0xff))))
        (local.set $b (i64.xor (i64.rotl (local.get $b) (i64.const 3)) (local.get $a)))
        (local.set $a (i64.xor (i64.add (i64.rotr (local.get $a) (i64.const 8)) (local.get $b)) (i64.shr_u (local.get $w) (i64.const 56))))
        (local.set $b (i64.xor (i64.rotl (local.get $b) (i64.const 3)) (local.get $a)))
        (local.set $p (i32.add (local.get $p) (i32.const 8)))
        (br $eight)))
    (block $done
      (loop $byte
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (call $ernd (local.get $a) (local.get $b) (i64.load8_u (local.get $p)))
        (local.set $b)
        (local.set $a)
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $byte)))
    (call $ernd (local.get $a) (local.get $b) (i64.const 0)))

  (func $store16 (param $out i32) (param $a i64) (param $b i64)
    (i64.store (local.get $out) (local.get $a))
    (i64.store offset=8 (local.get $out) (local.get $b)))

  ;; multispeck2(x, y) -> 16 bytes at $out
  (func (export "multispeck2") (param $x i32) (param $xLen i32) (param $y i32) (param $yLen i32) (param $out i32)
    (local $a i64) (local $b i64)
    (call $absorb (i64.const 69) (i64.const 2) (local.get $x) (local.get $xLen))
    (local.set $b) (local.set $a)
    (call $absorb (local.get $a) (local.get $b) (local.get $y) (local.get $yLen))
    (local.set $b) (local.set $a)
    (call $store16 (local.get $out) (local.get $a) (local.get $b)))

  ;; multispeck3(x, y, z) -> 16 bytes at $out
  (func (export "multispeck3")
    (param $x i32) (param $xLen i32) (param $y i32) (param $yLen i32) (param $z i32) (param $zLen i32) (param $out i32)
    (local $a i64) (local $b i64)
    (call $absorb (i64.const 69) (i64.const 3) (local.get $x) (local.get $xLen))
    (local.set $b) (local.set $a)
    (call $absorb (local.get $a) (local.get $b) (local.get $y) (local.get $yLen))
    (local.set $b) (local.set $a)
    (call $absorb (local.get $a) (local.get $b) (local.get $z) (local.get $zLen))
    (local.set $b) (local.set $a)
    (call $store16 (local.get $out) (local.get $a) (local.get $b)))

  ;; Set up a direction context from a 16-byte enc key and 16-byte MAC key.
  (func (export "ctx_init") (param $ctx i32) (param $encKey i32) (param $macKey i32)
    (local $a i64) (local $b i64)
    (drop (call $key_schedule (local.get $encKey) (i32.const 16) (i32.const 32) (local.get $ctx)
      (i32.add (local.get $ctx) (i32.const 272))))
    (i64.store offset=256 (local.get $ctx) (i64.const 0))
    (i64.store offset=264 (local.get $ctx) (i64.const 0))
    (i32.store offset=288 (local.get $ctx) (i32.const 16))
    (call $absorb (i64.const 69) (i64.const 2) (local.get $macKey) (i32.const 16))
    (local.set $b) (local.set $a)
    (i64.store offset=296 (local.get $ctx) (local.get $a))
    (i64.store offset=304 (local.get $ctx) (local.get $b)))

  ;; Advance the counter and encrypt it: the next keystream block.
  (func $next_block (param $ctx i32) (result i64 i64)
    (local $a i64) (local $b i64) (local $rk i32) (local $end i32)
    (local.set $a (i64.load offset=256 (local.get $ctx)))
    (local.set $b (i64.add (i64.load offset=264 (local.get $ctx)) (i64.const 1)))
    (if (i64.eqz (local.get $b)) (then (local.set $a (i64.add (local.get $a) (i64.const 1)))))
    (i64.store offset=256 (local.get $ctx) (local.get $a))
    (i64.store offset=264 (local.get $ctx) (local.get $b))
    (local.set $rk (local.get $ctx))
    (local.set $end (i32.add (local.get $ctx) (i32.const 256)))
    (loop $round
      (local.set $a (i64.xor (i64.add (i64.rotr (local.get $a) (i64.const 8)) (local.get $b)) (i64.load (local.get $rk))))
      (local.set $b (i64.xor (i64.rotl (local.get $b) (i64.const 3)) (local.get $a)))
      (local.set $a (i64.xor (i64.add (i64.rotr (local.get $a) (i64.const 8)) (local.get $b)) (i64.load offset=8 (local.get $rk))))
      (local.set $b (i64.xor (i64.rotl (local.get $b) (i64.const 3)) (local.get $a)))
      (local.set $a (i64.xor (i64.add (i64.rotr (local.get $a) (i64.const 8)) (local.get $b)) (i64.load offset=16 (local.get $rk))))
      (local.set $b (i64.xor (i64.rotl (local.get $b) (i64.const 3)) (local.get $a)))
      (local.set $a (i64.xor (i64.add (i64.rotr (local.get $a) (i64.const 8)) (local.get $b)) (i64.load offset=24 (local.get $rk))))
      (local.set $b (i64.xor (i64.rotl (local.get $b) (i64.const 3)) (local.get $a)))
      (local.set $rk (i32.add (local.get $rk) (i32.const 32)))
      (br_if $round (i32.lt_u (local.get $rk) (local.get $end))))
    (local.get $a)
    (local.get $b))

;; The next keystream block: from the prefetch ring when it holds one (see
  ;; verify), else computed now. Advances the counter either way.
  (func $take_block (param $ctx i32) (result i64 i64)
    (local $ring i32) (local $count i32) (local $slot i32) (local $a i64) (local $b i64)
    (local.set $ring (i32.load offset=312 (local.get $ctx)))
    (local.set $count (i32.load offset=320 (local.get $ctx)))
    (if (i32.eqz (i32.and (i32.ne (local.get $ring) (i32.const 0)) (i32.ne (local.get $count) (i32.const 0))))
      (then (return (call $next_block (local.get $ctx)))))
    (local.set $slot (i32.add (local.get $ring) (i32.shl (i32.load offset=316 (local.get $ctx)) (i32.const 4))))
    (local.set $a (i64.load (local.get $slot)))
    (local.set $b (i64.load offset=8 (local.get $slot)))
    (i32.store offset=316 (local.get $ctx) (i32.and (i32.add (i32.load offset=316 (local.get $ctx)) (i32.const 1)) (i32.const 4095)))
    (i32.store offset=320 (local.get $ctx) (i32.sub (local.get $count) (i32.const 1)))
    (local.set $b (i64.add (i64.load offset=264 (local.get $ctx)) (i64.const 1)))
    (i64.store offset=264 (local.get $ctx) (local.get $b))
    (if (i64.eqz (local.get $b))
      (then (i64.store offset=256 (local.get $ctx) (i64.add (i64.load offset=256 (local.get $ctx)) (i64.const 1)))))
    (local.get $a)
    (i64.load offset=8 (local.get $slot)))

  ;; XOR the direction's keystream over [p, p+len) in place, continuing where
  ;; the previous call stopped.
  (func $ks_xor (export "ks_xor") (param $ctx i32) (param $p i32) (param $len i32)
    (local $pos i32) (local $end i32) (local $rk i32) (local $rkEnd i32)
    (local $a0 i64) (local $b0 i64) (local $a1 i64) (local $b1 i64) (local $c i64)
    (local.set $end (i32.add (local.get $p) (local.get $len)))
    (local.set $pos (i32.load offset=288 (local.get $ctx)))
    ;; 1. what is left of the current block
    (block $drained
      (loop $left
        (br_if $drained (i32.ge_u (local.get $pos) (i32.const 16)))
        (br_if $drained (i32.ge_u (local.get $p) (local.get $end)))
        (i32.store8 (local.get $p) (i32.xor (i32.load8_u (local.get $p))
          (i32.load8_u offset=272 (i32.add (local.get $ctx) (local.get $pos)))))
        (local.set $pos (i32.add (local.get $pos) (i32.const 1)))
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $left)))
    ;; 2. whole blocks: prefetched ones one at a time, computed ones two at a
    ;;    time, interleaved for instruction-level parallelism
    (local.set $rkEnd (i32.add (local.get $ctx) (i32.const 256)))
    (block $wholeDone
      (loop $whole
        (br_if $wholeDone (i32.gt_s (i32.add (local.get $p) (i32.const 16)) (local.get $end)))
        (if (i32.or (i32.ne (i32.load offset=320 (local.get $ctx)) (i32.const 0))
              (i32.gt_s (i32.add (local.get $p) (i32.const 32)) (local.get $end)))
          (then
            (call $take_block (local.get $ctx))
            (local.set $b0) (local.set $a0)
            (i64.store (local.get $p) (i64.xor (i64.load (local.get $p)) (local.get $a0)))
            (i64.store offset=8 (local.get $p) (i64.xor (i64.load offset=8 (local.get $p)) (local.get $b0)))
            (local.set $p (i32.add (local.get $p) (i32.const 16)))
            (br $whole)))
        (local.set $c (i64.load offset=264 (local.get $ctx)))
        (local.set $a0 (i64.load offset=256 (local.get $ctx)))
        (local.set $b0 (i64.add (local.get $c) (i64.const 1)))
        (if (i64.eqz (local.get $b0)) (then (local.set $a0 (i64.add (local.get $a0) (i64.const 1)))))
        (local.set $a1 (local.get $a0))
        (local.set $b1 (i64.add (local.get $b0) (i64.const 1)))
        (if (i64.eqz (local.get $b1)) (then (local.set $a1 (i64.add (local.get $a1) (i64.const 1)))))
        (i64.store offset=256 (local.get $ctx) (local.get $a1))
        (i64.store offset=264 (local.get $ctx) (local.get $b1))
        (local.set $rk (local.get $ctx))
        (loop $round
          (local.set $c (i64.load (local.get $rk)))
          (local.set $a0 (i64.xor (i64.add (i64.rotr (local.get $a0) (i64.const 8)) (local.get $b0)) (local.get $c)))
          (local.set $a1 (i64.xor (i64.add (i64.rotr (local.get $a1) (i64.const 8)) (local.get $b1)) (local.get $c)))
          (local.set $b0 (i64.xor (i64.rotl (local.get $b0) (i64.const 3)) (local.get $a0)))
          (local.set $b1 (i64.xor (i64.rotl (local.get $b1) (i64.const 3)) (local.get $a1)))
          (local.set $c (i64.load offset=8 (local.get $rk)))
          (local.set $a0 (i64.xor (i64.add (i64.rotr (local.get $a0) (i64.const 8)) (local.get $b0)) (local.get $c)))
          (local.set $a1 (i64.xor (i64.add (i64.rotr (local.get $a1) (i64.const 8)) (local.get $b1)) (local.get $c)))
          (local.set $b0 (i64.xor (i64.rotl (local.get $b0) (i64.const 3)) (local.get $a0)))
          (local.set $b1 (i64.xor (i64.rotl (local.get $b1) (i64.const 3)) (local.get $a1)))
          (local.set $c (i64.load offset=16 (local.get $rk)))
          (local.set $a0 (i64.xor (i64.add (i64.rotr (local.get $a0) (i64.const 8)) (local.get $b0)) (local.get $c)))
          (local.set $a1 (i64.xor (i64.add (i64.rotr (local.get $a1) (i64.const 8)) (local.get $b1)) (local.get $c)))
          (local.set $b0 (i64.xor (i64.rotl (local.get $b0) (i64.const 3)) (local.get $a0)))
          (local.set $b1 (i64.xor (i64.rotl (local.get $b1) (i64.const 3)) (local.get $a1)))
          (local.set $c (i64.load offset=24 (local.get $rk)))
          (local.set $a0 (i64.xor (i64.add (i64.rotr (local.get $a0) (i64.const 8)) (local.get $b0)) (local.get $c)))
          (local.set $a1 (i64.xor (i64.add (i64.rotr (local.get $a1) (i64.const 8)) (local.get $b1)) (local.get $c)))
          (local.set $b0 (i64.xor (i64.rotl (local.get $b0) (i64.const 3)) (local.get $a0)))
          (local.set $b1 (i64.xor (i64.rotl (local.get $b1) (i64.const 3)) (local.get $a1)))
          (local.set $rk (i32.add (local.get $rk) (i32.const 32)))
          (br_if $round (i32.lt_u (local.get $rk) (local.get $rkEnd))))
        (i64.store (local.get $p) (i64.xor (i64.load (local.get $p)) (local.get $a0)))
        (i64.store offset=8 (local.get $p) (i64.xor (i64.load offset=8 (local.get $p)) (local.get $b0)))
        (i64.store offset=16 (local.get $p) (i64.xor (i64.load offset=16 (local.get $p)) (local.get $a1)))
        (i64.store offset=24 (local.get $p) (i64.xor (i64.load offset=24 (local.get $p)) (local.get $b1)))
        (local.set $p (i32.add (local.get $p) (i32.const 32)))
        (br $whole)))
    ;; 3. a partial last block is kept in the context
    (if (i32.lt_u (local.get $p) (local.get $end))
      (then
        (call $take_block (local.get $ctx))
        (local.set $b0) (local.set $a0)
        (call $store16 (i32.add (local.get $ctx) (i32.const 272)) (local.get $a0) (local.get $b0))
        (local.set $pos (i32.const 0))
        (block $partDone
          (loop $part
            (br_if $partDone (i32.ge_u (local.get $p) (local.get $end)))
            (i32.store8 (local.get $p) (i32.xor (i32.load8_u (local.get $p))
              (i32.load8_u offset=272 (i32.add (local.get $ctx) (local.get $pos)))))
            (local.set $pos (i32.add (local.get $pos) (i32.const 1)))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $part)))))
    (i32.store offset=288 (local.get $ctx) (local.get $pos)))

  ;; Give a direction a prefetch ring of 4096 keystream blocks (64 KiB at $ring).
  (func (export "ring_init") (param $ctx i32) (param $ring i32)
    (i32.store offset=312 (local.get $ctx) (local.get $ring))
    (i32.store offset=316 (local.get $ctx) (i32.const 0))
    (i32.store offset=320 (local.get $ctx) (i32.const 0)))

    ;; The frame MAC: multispeck2(mac_key, payload), with the key already
  ;; absorbed into the context. 16 bytes to $out.
  (func $mac (export "mac") (param $ctx i32) (param $p i32) (param $len i32) (param $out i32)
    (local $a i64) (local $b i64)
    (call $absorb (i64.load offset=296 (local.get $ctx)) (i64.load offset=304 (local.get $ctx))
      (local.get $p) (local.get $len))
    (local.set $b) (local.set $a)
    (call $store16 (local.get $out) (local.get $a) (local.get $b)))

  ;; Seal the frame whose payload is at $f+2: write the length, the MAC
  ;; after the payload, and encrypt the whole frame in place. Returns len + 18.
  ;;
  ;; The MAC is a serial chain of one round per byte; the keystream blocks
  ;; are independent. So the keystream the frame needs is generated inside
  ;; the MAC loop (two block rounds per MAC round, into $ks, at least
  ;; len + 34 bytes of scratch) where the processor runs both at once, and
  ;; the XOR is a final pass. Byte-identical to mac + ks_xor.
  (func (export "seal") (param $ctx i32) (param $f i32) (param $len i32) (param $ks i32) (result i32)
    (local $n i32) (local $pos i32) (local $left i32) (local $need i32) (local $blocks i32) (local $made i32)
    (local $half i32) (local $ka i64) (local $kb i64) (local $ca i64) (local $cb i64) (local $sa i64) (local $sb i64)
    (local $a i64) (local $b i64) (local $w i64) (local $p i32) (local $end i32) (local $end8 i32)
    (local $rk i32) (local $i i32) (local $q i32)
    (local.set $n (i32.add (local.get $len) (i32.const 18)))
    (i32.store16 (local.get $f) (local.get $len))
    ;; keystream still unused in the current block, and how many new blocks the frame needs
    (local.set $pos (i32.load offset=288 (local.get $ctx)))
    (local.set $left (i32.sub (i32.const 16) (local.get $pos)))
    (if (i32.gt_u (local.get $left) (local.get $n)) (then (local.set $left (local.get $n))))
    (local.set $need (i32.sub (local.get $n) (local.get $left)))
    (local.set $blocks (i32.shr_u (i32.add (local.get $need) (i32.const 15)) (i32.const 4)))
    ;; the first new block encrypts counter + 1
    (local.set $ca (i64.load offset=256 (local.get $ctx)))
    (local.set $cb (i64.add (i64.load offset=264 (local.get $ctx)) (i64.const 1)))
    (if (i64.eqz (local.get $cb)) (then (local.set $ca (i64.add (local.get $ca) (i64.const 1)))))
    (local.set $ka (local.get $ca))
    (local.set $kb (local.get $cb))
    ;; the MAC: key prefix from the context, then the payload length
    (call $ernd (i64.load offset=296 (local.get $ctx)) (i64.load offset=304 (local.get $ctx)) (i64.extend_i32_u (local.get $len)))
    (local.set $b) (local.set $a)
    (local.set $p (i32.add (local.get $f) (i32.const 2)))
    (local.set $end (i32.add (local.get $p) (local.get $len)))
    (local.set $end8 (i32.add (local.get $p) (i32.and (local.get $len) (i32.const -8))))
    (block $done8
      (loop $eight
        (br_if $done8 (i32.ge_u (local.get $p) (local.get $end8)))
        (local.set $w (i64.load (local.get $p)))
        (local.set $rk (i32.add (local.get $ctx) (i32.shl (local.get $half) (i32.const 7))))
        (local.set $a (i64.xor (i64.add (i64.rotr (local.get $a) (i64.const 8)) (local.get $b)) (i64.and (local.get $w) (i64.const 0xff))))
        (local.set $b (i64.xor (i64.rotl (local.get $b) (i64.const 3)) (local.get $a)))
        (local.set $ka (i64.xor (i64.add (i64.rotr (local.get $ka) (i64.const 8)) (local.get $kb)) (i64.load (local.get $rk))))
        (local.set $kb (i64.xor (i64.rotl (local.get $kb) (i64.const 3)) (local.get $ka)))
        (local.set $ka (i64.xor (i64.add (i64.rotr (local.get $ka) (i64.const 8)) (local.get $kb)) (i64.load offset=8 (local.get $rk))))
        (local.set $kb (i64.xor (i64.rotl (local.get $kb) (i64.const 3)) (local.get $ka)))
        (local.set $a (i64.xor (i64.add (i64.rotr (local.get $a) (i64.const 8)) (local.get $b)) (i64.and (i64.shr_u (local.get $w) (i64.const 8)) (i64.const 0xff))))
        (local.set $b (i64.xor (i64.rotl (local.get $b) (i64.const 3)) (local.get $a)))
        (local.set $ka (i64.xor (i64.add (i64.rotr (local.get $ka) (i64.const 8)) (local.get $kb)) (i64.load offset=16 (local.get $rk))))
        (local.set $kb (i64.xor (i64.rotl (local.get $kb) (i64.const 3)) (local.get $ka)))
        (local.set $ka (i64.xor (i64.add (i64.rotr (local.get $ka) (i64.const 8)) (local.get $kb)) (i64.load offset=24 (local.get $rk))))
        (local.set $kb (i64.xor (i64.rotl (local.get $kb) (i64.const 3)) (local.get $ka)))
        (local.set $a (i64.xor (i64.add (i64.rotr (local.get $a) (i64.const 8)) (local.get $b)) (i64.and (i64.shr_u (local.get $w) (i64.const 16)) (i64.const 0xff))))
        (local.set $b (i64.xor (i64.rotl (local.get $b) (i64.const 3)) (local.get $a)))
        (local.set $ka (i64.xor (i64.add (i64.rotr (local.get $ka) (i64.const 8)) (local.get $kb)) (i64.load offset=32 (local.get $rk))))
        (local.set $kb (i64.xor (i64.rotl (local.get $kb) (i64.const 3)) (local.get $ka)))
        (local.set $ka (i64.xor (i64.add (i64.rotr (local.get $ka) (i64.const 8)) (local.get $kb)) (i64.load offset=40 (local.get $rk))))
        (local.set $kb (i64.xor (i64.rotl (local.get $kb) (i64.const 3)) (local.get $ka)))
        (local.set $a (i64.xor (i64.add (i64.rotr (local.get $a) (i64.const 8)) (local.get $b)) (i64.and (i64.shr_u (local.get $w) (i64.const 24)) (i64.const 0xff))))
        (local.set $b (i64.xor (i64.rotl (local.get $b) (i64.const 3)) (local.get $a)))
        (local.set $ka (i64.xor (i64.add (i64.rotr (local.get $ka) (i64.const 8)) (local.get $kb)) (i64.load offset=48 (local.get $rk))))
        (local.set $kb (i64.xor (i64.rotl (local.get $kb) (i64.const 3)) (local.get $ka)))
        (local.set $ka (i64.xor (i64.add (i64.rotr (local.get $ka) (i64.const 8)) (local.get $kb)) (i64.load offset=56 (local.get $rk))))
        (local.set $kb (i64.xor (i64.rotl (local.get $kb) (i64.const 3)) (local.get $ka)))
        (local.set $a (i64.xor (i64.add (i64.rotr (local.get $a) (i64.const 8)) (local.get $b)) (i64.and (i64.shr_u (local.get $w) (i64.const 32)) (i64.const 0xff))))
        (local.set $b (i64.xor (i64.rotl (local.get $b) (i64.const 3)) (local.get $a)))
        (local.set $ka (i64.xor (i64.add (i64.rotr (local.get $ka) (i64.const 8)) (local.get $kb)) (i64.load offset=64 (local.get $rk))))
        (local.set $kb (i64.xor (i64.rotl (local.get $kb) (i64.const 3)) (local.get $ka)))
        (local.set $ka (i64.xor (i64.add (i64.rotr (local.get $ka) (i64.const 8)) (local.get $kb)) (i64.load offset=72 (local.get $rk))))
        (local.set $kb (i64.xor (i64.rotl (local.get $kb) (i64.const 3)) (local.get $ka)))
        (local.set $a (i64.xor (i64.add (i64.rotr (local.get $a) (i64.const 8)) (local.get $b)) (i64.and (i64.shr_u (local.get $w) (i64.const 40)) (i64.const 0xff))))
        (local.set $b (i64.xor (i64.rotl (local.get $b) (i64.const 3)) (local.get $a)))
        (local.set $ka (i64.xor (i64.add (i64.rotr (local.get $ka) (i64.const 8)) (local.get $kb)) (i64.load offset=80 (local.get $rk))))
        (local.set $kb (i64.xor (i64.rotl (local.get $kb) (i64.const 3)) (local.get $ka)))
        (local.set $ka (i64.xor (i64.add (i64.rotr (local.get $ka) (i64.const 8)) (local.get $kb)) (i64.load offset=88 (local.get $rk))))
        (local.set $kb (i64.xor (i64.rotl (local.get $kb) (i64.const 3)) (local.get $ka)))
        (local.set $a (i64.xor (i64.add (i64.rotr (local.get $a) (i64.const 8)) (local.get $b)) (i64.and (i64.shr_u (local.get $w) (i64.const 48)) (i64.const 0xff))))
        (local.set $b (i64.xor (i64.rotl (local.get $b) (i64.const 3)) (local.get $a)))
        (local.set $ka (i64.xor (i64.add (i64.rotr (local.get $ka) (i64.const 8)) (local.get $kb)) (i64.load offset=96 (local.get $rk))))
        (local.set $kb (i64.xor (i64.rotl (local.get $kb) (i64.const 3)) (local.get $ka)))
        (local.set $ka (i64.xor (i64.add (i64.rotr (local.get $ka) (i64.const 8)) (local.get $kb)) (i64.load offset=104 (local.get $rk))))
        (local.set $kb (i64.xor (i64.rotl (local.get $kb) (i64.const 3)) (local.get $ka)))
        (local.set $a (i64.xor (i64.add (i64.rotr (local.get $a) (i64.const 8)) (local.get $b)) (i64.shr_u (local.get $w) (i64.const 56))))
        (local.set $b (i64.xor (i64.rotl (local.get $b) (i64.const 3)) (local.get $a)))
        (local.set $ka (i64.xor (i64.add (i64.rotr (local.get $ka) (i64.const 8)) (local.get $kb)) (i64.load offset=112 (local.get $rk))))
        (local.set $kb (i64.xor (i64.rotl (local.get $kb) (i64.const 3)) (local.get $ka)))
        (local.set $ka (i64.xor (i64.add (i64.rotr (local.get $ka) (i64.const 8)) (local.get $kb)) (i64.load offset=120 (local.get $rk))))
        (local.set $kb (i64.xor (i64.rotl (local.get $kb) (i64.const 3)) (local.get $ka)))
        (if (local.get $half)
          (then
            (i64.store (i32.add (local.get $ks) (i32.shl (local.get $made) (i32.const 4))) (local.get $ka))
            (i64.store offset=8 (i32.add (local.get $ks) (i32.shl (local.get $made) (i32.const 4))) (local.get $kb))
            (local.set $made (i32.add (local.get $made) (i32.const 1)))
            (local.set $sa (local.get $ca))
            (local.set $sb (local.get $cb))
            (local.set $cb (i64.add (local.get $cb) (i64.const 1)))
            (if (i64.eqz (local.get $cb)) (then (local.set $ca (i64.add (local.get $ca) (i64.const 1)))))
            (local.set $ka (local.get $ca))
            (local.set $kb (local.get $cb))
            (local.set $half (i32.const 0)))
          (else (local.set $half (i32.const 1))))
        (local.set $p (i32.add (local.get $p) (i32.const 8)))
        (br $eight)))
    (block $done1
      (loop $one
        (br_if $done1 (i32.ge_u (local.get $p) (local.get $end)))
        (call $ernd (local.get $a) (local.get $b) (i64.load8_u (local.get $p)))
        (local.set $b) (local.set $a)
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $one)))
    (call $ernd (local.get $a) (local.get $b) (i64.const 0))
    (local.set $b) (local.set $a)
    (i64.store (local.get $end) (local.get $a))
    (i64.store offset=8 (local.get $end) (local.get $b))
    ;; the blocks the MAC loop did not finish
    (block $enough
      (loop $more
        (br_if $enough (i32.ge_u (local.get $made) (local.get $blocks)))
        (local.set $rk (i32.add (local.get $ctx) (i32.shl (local.get $half) (i32.const 7))))
        (local.set $ka (i64.xor (i64.add (i64.rotr (local.get $ka) (i64.const 8)) (local.get $kb)) (i64.load (local.get $rk))))
        (local.set $kb (i64.xor (i64.rotl (local.get $kb) (i64.const 3)) (local.get $ka)))
        (local.set $ka (i64.xor (i64.add (i64.rotr (local.get $ka) (i64.const 8)) (local.get $kb)) (i64.load offset=8 (local.get $rk))))
        (local.set $kb (i64.xor (i64.rotl (local.get $kb) (i64.const 3)) (local.get $ka)))
        (local.set $ka (i64.xor (i64.add (i64.rotr (local.get $ka) (i64.const 8)) (local.get $kb)) (i64.load offset=16 (local.get $rk))))
        (local.set $kb (i64.xor (i64.rotl (local.get $kb) (i64.const 3)) (local.get $ka)))
        (local.set $ka (i64.xor (i64.add (i64.rotr (local.get $ka) (i64.const 8)) (local.get $kb)) (i64.load offset=24 (local.get $rk))))
        (local.set $kb (i64.xor (i64.rotl (local.get $kb) (i64.const 3)) (local.get $ka)))
        (local.set $ka (i64.xor (i64.add (i64.rotr (local.get $ka) (i64.const 8)) (local.get $kb)) (i64.load offset=32 (local.get $rk))))
        (local.set $kb (i64.xor (i64.rotl (local.get $kb) (i64.const 3)) (local.get $ka)))
        (local.set $ka (i64.xor (i64.add (i64.rotr (local.get $ka) (i64.const 8)) (local.get $kb)) (i64.load offset=40 (local.get $rk))))
        (local.set $kb (i64.xor (i64.rotl (local.get $kb) (i64.const 3)) (local.get $ka)))
        (local.set $ka (i64.xor (i64.add (i64.rotr (local.get $ka) (i64.const 8)) (local.get $kb)) (i64.load offset=48 (local.get $rk))))
        (local.set $kb (i64.xor (i64.rotl (local.get $kb) (i64.const 3)) (local.get $ka)))
        (local.set $ka (i64.xor (i64.add (i64.rotr (local.get $ka) (i64.const 8)) (local.get $kb)) (i64.load offset=56 (local.get $rk))))
        (local.set $kb (i64.xor (i64.rotl (local.get $kb) (i64.const 3)) (local.get $ka)))
        (local.set $ka (i64.xor (i64.add (i64.rotr (local.get $ka) (i64.const 8)) (local.get $kb)) (i64.load offset=64 (local.get $rk))))
        (local.set $kb (i64.xor (i64.rotl (local.get $kb) (i64.const 3)) (local.get $ka)))
        (local.set $ka (i64.xor (i64.add (i64.rotr (local.get $ka) (i64.const 8)) (local.get $kb)) (i64.load offset=72 (local.get $rk))))
        (local.set $kb (i64.xor (i64.rotl (local.get $kb) (i64.const 3)) (local.get $ka)))
        (local.set $ka (i64.xor (i64.add (i64.rotr (local.get $ka) (i64.const 8)) (local.get $kb)) (i64.load offset=80 (local.get $rk))))
        (local.set $kb (i64.xor (i64.rotl (local.get $kb) (i64.const 3)) (local.get $ka)))
        (local.set $ka (i64.xor (i64.add (i64.rotr (local.get $ka) (i64.const 8)) (local.get $kb)) (i64.load offset=88 (local.get $rk))))
        (local.set $kb (i64.xor (i64.rotl (local.get $kb) (i64.const 3)) (local.get $ka)))
        (local.set $ka (i64.xor (i64.add (i64.rotr (local.get $ka) (i64.const 8)) (local.get $kb)) (i64.load offset=96 (local.get $rk))))
        (local.set $kb (i64.xor (i64.rotl (local.get $kb) (i64.const 3)) (local.get $ka)))
        (local.set $ka (i64.xor (i64.add (i64.rotr (local.get $ka) (i64.const 8)) (local.get $kb)) (i64.load offset=104 (local.get $rk))))
        (local.set $kb (i64.xor (i64.rotl (local.get $kb) (i64.const 3)) (local.get $ka)))
        (local.set $ka (i64.xor (i64.add (i64.rotr (local.get $ka) (i64.const 8)) (local.get $kb)) (i64.load offset=112 (local.get $rk))))
        (local.set $kb (i64.xor (i64.rotl (local.get $kb) (i64.const 3)) (local.get $ka)))
        (local.set $ka (i64.xor (i64.add (i64.rotr (local.get $ka) (i64.const 8)) (local.get $kb)) (i64.load offset=120 (local.get $rk))))
        (local.set $kb (i64.xor (i64.rotl (local.get $kb) (i64.const 3)) (local.get $ka)))
        (if (local.get $half)
          (then
            (i64.store (i32.add (local.get $ks) (i32.shl (local.get $made) (i32.const 4))) (local.get $ka))
            (i64.store offset=8 (i32.add (local.get $ks) (i32.shl (local.get $made) (i32.const 4))) (local.get $kb))
            (local.set $made (i32.add (local.get $made) (i32.const 1)))
            (local.set $sa (local.get $ca))
            (local.set $sb (local.get $cb))
            (local.set $cb (i64.add (local.get $cb) (i64.const 1)))
            (if (i64.eqz (local.get $cb)) (then (local.set $ca (i64.add (local.get $ca) (i64.const 1)))))
            (local.set $ka (local.get $ca))
            (local.set $kb (local.get $cb))
            (local.set $half (i32.const 0)))
          (else (local.set $half (i32.const 1))))
        (br $more)))
    ;; XOR: the rest of the current block, then the new blocks
    (block $leftDone
      (loop $leftLoop
        (br_if $leftDone (i32.ge_u (local.get $i) (local.get $left)))
        (i32.store8 (i32.add (local.get $f) (local.get $i)) (i32.xor (i32.load8_u (i32.add (local.get $f) (local.get $i)))
          (i32.load8_u offset=272 (i32.add (local.get $ctx) (i32.add (local.get $pos) (local.get $i))))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $leftLoop)))
    (local.set $q (i32.add (local.get $f) (local.get $left)))
    (local.set $i (i32.const 0))
    (block $x8done
      (loop $x8
        (br_if $x8done (i32.gt_u (i32.add (local.get $i) (i32.const 8)) (local.get $need)))
        (i64.store (i32.add (local.get $q) (local.get $i))
          (i64.xor (i64.load (i32.add (local.get $q) (local.get $i))) (i64.load (i32.add (local.get $ks) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 8)))
        (br $x8)))
    (block $x1done
      (loop $x1
        (br_if $x1done (i32.ge_u (local.get $i) (local.get $need)))
        (i32.store8 (i32.add (local.get $q) (local.get $i))
          (i32.xor (i32.load8_u (i32.add (local.get $q) (local.get $i))) (i32.load8_u (i32.add (local.get $ks) (local.get $i)))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $x1)))
    ;; the context continues after the last block used (a frame always needs at least one)
    (i64.store offset=256 (local.get $ctx) (local.get $sa))
    (i64.store offset=264 (local.get $ctx) (local.get $sb))
    (local.set $q (i32.add (local.get $ks) (i32.shl (i32.sub (local.get $blocks) (i32.const 1)) (i32.const 4))))
    (i64.store offset=272 (local.get $ctx) (i64.load (local.get $q)))
    (i64.store offset=280 (local.get $ctx) (i64.load offset=8 (local.get $q)))
    (i32.store offset=288 (local.get $ctx) (i32.sub (local.get $need) (i32.shl (i32.sub (local.get $blocks) (i32.const 1)) (i32.const 4))))
    (local.get $n))

;; Check the (already decrypted) MAC that follows the payload at [p, p+len).
  ;; Returns 1 when it matches. With a prefetch ring (ring_init), the MAC's
  ;; serial chain leaves room to compute the keystream the next bytes will
  ;; need, two block rounds per MAC round, into the ring; ks_xor then only
  ;; XORs. The keystream is the same either way.
  (func (export "verify") (param $ctx i32) (param $p i32) (param $len i32) (result i32)
    (local $a i64) (local $b i64) (local $t i32) (local $w i64) (local $end8 i32)
    (local $ring i32) (local $count i32) (local $half i32) (local $rk i32)
    (local $ka i64) (local $kb i64) (local $ga i64) (local $gb i64) (local $slot i32)
    (local.set $ring (i32.load offset=312 (local.get $ctx)))
    (local.set $count (i32.load offset=320 (local.get $ctx)))
    (local.set $a (i64.load offset=296 (local.get $ctx)))
    (local.set $b (i64.load offset=304 (local.get $ctx)))
    (if (i32.and (i32.ne (local.get $ring) (i32.const 0)) (i32.lt_u (local.get $count) (i32.const 4096)))
      (then
        (call $ernd (local.get $a) (local.get $b) (i64.extend_i32_u (local.get $len)))
        (local.set $b) (local.set $a)
        ;; the block to compute next encrypts counter + count + 1
        (local.set $gb (i64.add (i64.load offset=264 (local.get $ctx)) (i64.extend_i32_u (i32.add (local.get $count) (i32.const 1)))))
        (local.set $ga (i64.load offset=256 (local.get $ctx)))
        (if (i64.lt_u (local.get $gb) (i64.load offset=264 (local.get $ctx)))
          (then (local.set $ga (i64.add (local.get $ga) (i64.const 1)))))
        (local.set $ka (local.get $ga))
        (local.set $kb (local.get $gb))
        (local.set $end8 (i32.add (local.get $p) (i32.and (local.get $len) (i32.const -8))))
        (local.set $t (local.get $p))
        (block $done8
          (loop $eight
            (br_if $done8 (i32.ge_u (local.get $t) (local.get $end8)))
            (br_if $done8 (i32.ge_u (local.get $count) (i32.const 4096)))
            (local.set $w (i64.load (local.get $t)))
            (local.set $rk (i32.add (local.get $ctx) (i32.shl (local.get $half) (i32.const 7))))
        (local.set $a (i64.xor (i64.add (i64.rotr (local.get $a) (i64.const 8)) (local.get $b)) (i64.and (local.get $w) (i64.const 0xff))))
        (local.set $b (i64.xor (i64.rotl (local.get $b) (i64.const 3)) (local.get $a)))
        (local.set $ka (i64.xor (i64.add (i64.rotr (local.get $ka) (i64.const 8)) (local.get $kb)) (i64.load (local.get $rk))))
        (local.set $kb (i64.xor (i64.rotl (local.get $kb) (i64.const 3)) (local.get $ka)))
        (local.set $ka (i64.xor (i64.add (i64.rotr (local.get $ka) (i64.const 8)) (local.get $kb)) (i64.load offset=8 (local.get $rk))))
        (local.set $kb (i64.xor (i64.rotl (local.get $kb) (i64.const 3)) (local.get $ka)))
        (local.set $a (i64.xor (i64.add (i64.rotr (local.get $a) (i64.const 8)) (local.get $b)) (i64.and (i64.shr_u (local.get $w) (i64.const 8)) (i64.const 0xff))))
        (local.set $b (i64.xor (i64.rotl (local.get $b) (i64.const 3)) (local.get $a)))
        (local.set $ka (i64.xor (i64.add (i64.rotr (local.get $ka) (i64.const 8)) (local.get $kb)) (i64.load offset=16 (local.get $rk))))
        (local.set $kb (i64.xor (i64.rotl (local.get $kb) (i64.const 3)) (local.get $ka)))
        (local.set $ka (i64.xor (i64.add (i64.rotr (local.get $ka) (i64.const 8)) (local.get $kb)) (i64.load offset=24 (local.get $rk))))
        (local.set $kb (i64.xor (i64.rotl (local.get $kb) (i64.const 3)) (local.get $ka)))
        (local.set $a (i64.xor (i64.add (i64.rotr (local.get $a) (i64.const 8)) (local.get $b)) (i64.and (i64.shr_u (local.get $w) (i64.const 16)) (i64.const 0xff))))
        (local.set $b (i64.xor (i64.rotl (local.get $b) (i64.const 3)) (local.get $a)))
        (local.set $ka (i64.xor (i64.add (i64.rotr (local.get $ka) (i64.const 8)) (local.get $kb)) (i64.load offset=32 (local.get $rk))))
        (local.set $kb (i64.xor (i64.rotl (local.get $kb) (i64.const 3)) (local.get $ka)))
        (local.set $ka (i64.xor (i64.add (i64.rotr (local.get $ka) (i64.const 8)) (local.get $kb)) (i64.load offset=40 (local.get $rk))))
        (local.set $kb (i64.xor (i64.rotl (local.get $kb) (i64.const 3)) (local.get $ka)))
        (local.set $a (i64.xor (i64.add (i64.rotr (local.get $a) (i64.const 8)) (local.get $b)) (i64.and (i64.shr_u (local.get $w) (i64.const 24)) (i64.const 0xff))))
        (local.set $b (i64.xor (i64.rotl (local.get $b) (i64.const 3)) (local.get $a)))
        (local.set $ka (i64.xor (i64.add (i64.rotr (local.get $ka) (i64.const 8)) (local.get $kb)) (i64.load offset=48 (local.get $rk))))
        (local.set $kb (i64.xor (i64.rotl (local.get $kb) (i64.const 3)) (local.get $ka)))
        (local.set $ka (i64.xor (i64.add (i64.rotr (local.get $ka) (i64.const 8)) (local.get $kb)) (i64.load offset=56 (local.get $rk))))
        (local.set $kb (i64.xor (i64.rotl (local.get $kb) (i64.const 3)) (local.get $ka)))
        (local.set $a (i64.xor (i64.add (i64.rotr (local.get $a) (i64.const 8)) (local.get $b)) (i64.and (i64.shr_u (local.get $w) (i64.const 32)) (i64.const 0xff))))
        (local.set $b (i64.xor (i64.rotl (local.get $b) (i64.const 3)) (local.get $a)))
        (local.set $ka (i64.xor (i64.add (i64.rotr (local.get $ka) (i64.const 8)) (local.get $kb)) (i64.load offset=64 (local.get $rk))))
        (local.set $kb (i64.xor (i64.rotl (local.get $kb) (i64.const 3)) (local.get $ka)))
        (local.set $ka (i64.xor (i64.add (i64.rotr (local.get $ka) (i64.const 8)) (local.get $kb)) (i64.load offset=72 (local.get $rk))))
        (local.set $kb (i64.xor (i64.rotl (local.get $kb) (i64.const 3)) (local.get $ka)))
        (local.set $a (i64.xor (i64.add (i64.rotr (local.get $a) (i64.const 8)) (local.get $b)) (i64.and (i64.shr_u (local.get $w) (i64.const 40)) (i64.const 0xff))))
        (local.set $b (i64.xor (i64.rotl (local.get $b) (i64.const 3)) (local.get $a)))
        (local.set $ka (i64.xor (i64.add (i64.rotr (local.get $ka) (i64.const 8)) (local.get $kb)) (i64.load offset=80 (local.get $rk))))
        (local.set $kb (i64.xor (i64.rotl (local.get $kb) (i64.const 3)) (local.get $ka)))
        (local.set $ka (i64.xor (i64.add (i64.rotr (local.get $ka) (i64.const 8)) (local.get $kb)) (i64.load offset=88 (local.get $rk))))
        (local.set $kb (i64.xor (i64.rotl (local.get $kb) (i64.const 3)) (local.get $ka)))
        (local.set $a (i64.xor (i64.add (i64.rotr (local.get $a) (i64.const 8)) (local.get $b)) (i64.and (i64.shr_u (local.get $w) (i64.const 48)) (i64.const 0xff))))
        (local.set $b (i64.xor (i64.rotl (local.get $b) (i64.const 3)) (local.get $a)))
        (local.set $ka (i64.xor (i64.add (i64.rotr (local.get $ka) (i64.const 8)) (local.get $kb)) (i64.load offset=96 (local.get $rk))))
        (local.set $kb (i64.xor (i64.rotl (local.get $kb) (i64.const 3)) (local.get $ka)))
        (local.set $ka (i64.xor (i64.add (i64.rotr (local.get $ka) (i64.const 8)) (local.get $kb)) (i64.load offset=104 (local.get $rk))))
        (local.set $kb (i64.xor (i64.rotl (local.get $kb) (i64.const 3)) (local.get $ka)))
        (local.set $a (i64.xor (i64.add (i64.rotr (local.get $a) (i64.const 8)) (local.get $b)) (i64.shr_u (local.get $w) (i64.const 56))))
        (local.set $b (i64.xor (i64.rotl (local.get $b) (i64.const 3)) (local.get $a)))
        (local.set $ka (i64.xor (i64.add (i64.rotr (local.get $ka) (i64.const 8)) (local.get $kb)) (i64.load offset=112 (local.get $rk))))
        (local.set $kb (i64.xor (i64.rotl (local.get $kb) (i64.const 3)) (local.get $ka)))
        (local.set $ka (i64.xor (i64.add (i64.rotr (local.get $ka) (i64.const 8)) (local.get $kb)) (i64.load offset=120 (local.get $rk))))
        (local.set $kb (i64.xor (i64.rotl (local.get $kb) (i64.const 3)) (local.get $ka)))
            (if (local.get $half)
              (then
                (local.set $slot (i32.add (local.get $ring)
                  (i32.shl (i32.and (i32.add (i32.load offset=316 (local.get $ctx)) (local.get $count)) (i32.const 4095)) (i32.const 4))))
                (i64.store (local.get $slot) (local.get $ka))
                (i64.store offset=8 (local.get $slot) (local.get $kb))
                (local.set $count (i32.add (local.get $count) (i32.const 1)))
                (local.set $gb (i64.add (local.get $gb) (i64.const 1)))
                (if (i64.eqz (local.get $gb)) (then (local.set $ga (i64.add (local.get $ga) (i64.const 1)))))
                (local.set $ka (local.get $ga))
                (local.set $kb (local.get $gb))
                (local.set $half (i32.const 0)))
              (else (local.set $half (i32.const 1))))
            (local.set $t (i32.add (local.get $t) (i32.const 8)))
            (br $eight)))
        (i32.store offset=320 (local.get $ctx) (local.get $count))
        ;; the rest of the payload (and its final round) without prefetching
        (local.set $len (i32.sub (i32.add (local.get $p) (local.get $len)) (local.get $t)))
        (local.set $p (local.get $t))
        (block $done1
          (loop $one
            (br_if $done1 (i32.eqz (local.get $len)))
            (call $ernd (local.get $a) (local.get $b) (i64.load8_u (local.get $p)))
            (local.set $b) (local.set $a)
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (local.set $len (i32.sub (local.get $len) (i32.const 1)))
            (br $one)))
        (call $ernd (local.get $a) (local.get $b) (i64.const 0))
        (local.set $b) (local.set $a)
        (local.set $t (local.get $p)))
      (else
        (call $absorb (local.get $a) (local.get $b) (local.get $p) (local.get $len))
        (local.set $b) (local.set $a)
        (local.set $t (i32.add (local.get $p) (local.get $len)))))
    (i64.eqz (i64.or
      (i64.xor (i64.load (local.get $t)) (local.get $a))
      (i64.xor (i64.load offset=8 (local.get $t)) (local.get $b)))))

    ;; Node name -> IPv6 (the original's IpAddr::from_node_name): a = 69,
  ;; b = byte length; per byte one ernd(byte) and 32 ernd(0); then 32 ernd(0);
  ;; then ernd(0) until b's low two bytes (LE) are fd 00. 16 bytes to $out in
  ;; network order: b LE || a LE.
  (func (export "name_to_ipv6") (param $p i32) (param $len i32) (param $out i32)
    (local $a i64) (local $b i64) (local $end i32) (local $i i32)
    (local.set $a (i64.const 69))
    (local.set $b (i64.extend_i32_u (local.get $len)))
    (local.set $end (i32.add (local.get $p) (local.get $len)))
    (block $done
      (loop $byte
        (br_if $done (i32.ge_u (local.get $p) (local.get $end)))
        (call $ernd (local.get $a) (local.get $b) (i64.load8_u (local.get $p)))
        (local.set $b) (local.set $a)
        (call $zero_rounds (local.get $a) (local.get $b) (i32.const 32))
        (local.set $b) (local.set $a)
        (local.set $p (i32.add (local.get $p) (i32.const 1)))
        (br $byte)))
    (call $zero_rounds (local.get $a) (local.get $b) (i32.const 32))
    (local.set $b) (local.set $a)
    (block $found
      (loop $search
        (br_if $found (i64.eq (i64.and (local.get $b) (i64.const 0xffff)) (i64.const 0x00fd)))
        (call $ernd (local.get $a) (local.get $b) (i64.const 0))
        (local.set $b) (local.set $a)
        (br $search)))
    (call $store16 (local.get $out) (local.get $b) (local.get $a)))

  (func $zero_rounds (param $a i64) (param $b i64) (param $n i32) (result i64 i64)
    (block $done
      (loop $round
        (br_if $done (i32.eqz (local.get $n)))
        (call $ernd (local.get $a) (local.get $b) (i64.const 0))
        (local.set $b) (local.set $a)
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $round)))
    (local.get $a)
    (local.get $b))
)
