;; The `unreachable` instruction.
(module $unreachable
  (memory (export "memory") 1)
  (func $boom
    (unreachable))
  (func $_start (export "_start")
    (call $boom)))
