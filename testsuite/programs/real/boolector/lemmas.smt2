; Unsat: no counterexample to these bit-vector identities exists.
(set-logic QF_BV)
(declare-const a (_ BitVec 32))
(declare-const b (_ BitVec 32))
(declare-const c (_ BitVec 32))
(assert (or
  (not (= (bvadd (bvadd a b) c) (bvadd a (bvadd b c))))
  (not (= (bvxor a (bvxor a b)) b))
  (not (= (bvsub a b) (bvadd a (bvneg b))))
  (not (= (bvshl a #x00000001) (bvmul a #x00000002)))
  (not (= (bvand a (bvor a b)) a))))
(check-sat)
