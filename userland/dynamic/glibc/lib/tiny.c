/* libtiny.so: a small shared library for glibc/dl.c (a constructor, a
 * function, and a thread-local variable reached through __tls_get_addr). */
int tiny_constructed;
static __thread int counter = 5;

__attribute__((constructor)) static void init(void) { tiny_constructed = 1; }

int tiny_add(int a, int b) { return a + b; }

int tiny_tls_bump(void) { return ++counter; }
