;; An exception nothing catches: it passes a handler for another tag and a level that
;; catches everything and rethrows it, then ends the program like a trap.
(module $uncaught_exception
  (tag $mine (param i32))
  (tag $other)
  (memory (export "memory") 1)
  (func $thrower (param i32) (throw $mine (local.get 0)))
  (func $other_handler (param i32)
    (block $h
      (try_table (catch $other $h) (call $thrower (local.get 0))))
  )
  (func $rethrower (param i32)
    (local $e exnref)
    (block $h (result exnref)
      (try_table (catch_all_ref $h) (call $other_handler (local.get 0)))
      (return))
    (local.set $e)
    (throw_ref (local.get $e)))
  (func $outer (call $rethrower (i32.const 7)))
  (func (export "_start") (call $outer))
)
