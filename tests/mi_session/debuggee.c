/* The program the MI session tests debug: target_function() is the breakpoint, its argument the
   expression to evaluate. Built twice: finite (exits 0 after three calls) and LOOP_FOREVER. */
volatile int sink;

__attribute__((noinline)) int target_function(int value) {
  sink = value;
  return value * 2;
}

__attribute__((noinline)) static void call_target(int value) { target_function(value); }

int main(void) {
#ifdef LOOP_FOREVER
  for (int i = 0;; i = (i + 1) % 1000) {
    call_target(i);
  }
#else
  for (int i = 0; i < 3; ++i) {
    call_target(i + 40);
  }
  return 0;
#endif
}
