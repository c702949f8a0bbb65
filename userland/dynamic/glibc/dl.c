/* The dynamic loader at work: libtiny.so is a DT_NEEDED library found
 * through RUNPATH $ORIGIN/../lib (with a constructor and a TLS variable),
 * libm.so.6 is dlopen()ed from the system directories and used via dlsym. */
#include <dlfcn.h>
#include <stdio.h>

int tiny_add(int a, int b);
int tiny_tls_bump(void);
extern int tiny_constructed;

int main(void) {
    printf("libtiny: constructed %d, add %d, tls %d %d\n", tiny_constructed, tiny_add(40, 2), tiny_tls_bump(),
           tiny_tls_bump());
    void *m = dlopen("libm.so.6", RTLD_NOW);
    if (!m) {
        printf("dlopen libm: %s\n", dlerror());
        return 1;
    }
    double (*cosine)(double) = (double (*)(double))dlsym(m, "cos");
    double (*root)(double) = (double (*)(double))dlsym(m, "sqrt");
    double (*power)(double, double) = (double (*)(double, double))dlsym(m, "pow");
    printf("libm via dlsym: cos(0)=%.3f sqrt(2)=%.6f pow(2,10)=%.0f\n", cosine(0.0), root(2.0), power(2.0, 10.0));
    printf("dlsym of a missing symbol fails: %d\n", dlsym(m, "no_such_function") == NULL);
    dlclose(m);
    printf("dlopen of a missing library fails: %d\n", dlopen("libnothere.so.9", RTLD_NOW) == NULL);
    return 0;
}
