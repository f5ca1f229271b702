// C++ names in the name section are Itanium-mangled (`_ZN9kiln_test6Parser5parseEi`): the
// trap report shows them demangled (`kiln_test::Parser::parse(int)`).
extern "C" int printf(const char *, ...);

namespace kiln_test {
struct Parser {
    int depth;
    __attribute__((noinline)) int parse(int budget);
};

__attribute__((noinline)) int Parser::parse(int budget) {
    if (budget == 0)
        __builtin_trap();
    depth++;
    return parse(budget - 1) + 1;
}

template <typename T> __attribute__((noinline)) T run(T budget) {
    Parser p{0};
    return p.parse(budget);
}
} // namespace kiln_test

int main(int argc, char **) {
    printf("%d\n", kiln_test::run<int>(argc + 1));
    return 0;
}
