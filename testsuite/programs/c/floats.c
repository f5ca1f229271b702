// Float-heavy: libm results printed with %.17g (every bit visible), f32 arithmetic,
// conversions, rounding, and NaN/infinity formatting.
#include <float.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>

static volatile double vzero = 0.0;

int main(void) {
    double acc = 0.0;
    for (int i = -20; i <= 20; i++) {
        double x = i * 0.37 + 0.001;
        double s = sin(x), c = cos(x), t = tan(x * 0.1);
        double r = sqrt(fabs(x)), p = pow(fabs(x) + 1.0, 1.0 / 3.0), e = exp(x * 0.25);
        double l = log(fabs(x) + 0.5), a = atan2(x, 3.0), h = tanh(x * 0.2);
        printf("x=%.17g sin=%.17g cos=%.17g tan=%.17g\n", x, s, c, t);
        printf("  sqrt=%.17g pow=%.17g exp=%.17g log=%.17g atan2=%.17g tanh=%.17g\n", r, p, e,
               l, a, h);
        acc += s * c + r * p - e / (l + 10.0) + a * h;
    }
    printf("acc=%.17g\n", acc);

    float f = 1.0f;
    for (int i = 1; i <= 30; i++) f = f * 1.1f + 1.0f / (float)i;
    printf("f32 accumulate=%.9g sqrtf=%.9g sinf=%.9g\n", f, sqrtf(f), sinf(f));

    double vals[] = {0.5, 1.5, 2.5, -0.5, -1.5, 2.4999999999999996, 1e300, -1e-300};
    for (unsigned i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        double v = vals[i];
        printf("v=%.17g floor=%.17g ceil=%.17g trunc=%.17g round=%.17g rint=%.17g fmod=%.17g\n",
               v, floor(v), ceil(v), trunc(v), round(v), rint(v), fmod(v, 0.7));
    }

    printf("conversions: %d %lld %u %.17g %.9g\n", (int)-7.9, (long long)1e18,
           (unsigned)3.99e9, (double)(int64_t)-9007199254740993LL, (float)16777217);

    double inf = 1.0 / vzero, ninf = -1.0 / vzero;
    double qnan = vzero / vzero;
    printf("inf=%f -inf=%f %%g=%g %%e=%e\n", inf, ninf, inf, ninf);
    printf("NAN=%f -NAN=%f %%.17g=%.17g\n", NAN, -NAN, (double)NAN);
    printf("isnan(0/0)=%d isinf(1/0)=%d isfinite(DBL_MAX)=%d\n", isnan(qnan) != 0,
           isinf(inf) != 0, isfinite(DBL_MAX) != 0);
    printf("DBL_MAX=%.17g DBL_MIN=%.17g DBL_TRUE_MIN=%.17g FLT_MAX=%.9g\n", DBL_MAX, DBL_MIN,
           DBL_TRUE_MIN, (double)FLT_MAX);
    printf("-0.0=%g copysign=%g 1/-0=%f\n", -0.0, copysign(3.0, -0.0), 1.0 / (-vzero));
    printf("fmin=%g fmax=%g hypot=%.17g cbrt=%.17g\n", fmin(-0.0, 0.0), fmax(NAN, 2.0),
           hypot(3e200, 4e200), cbrt(-27.0));
    return 0;
}
