;; Returning from _start: exit status 0.
(module $return
  (memory (export "memory") 1)
  (func $_start (export "_start")))
