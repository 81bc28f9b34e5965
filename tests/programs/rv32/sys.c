/* Minimal Linux host layer for picolibc on RV32 (rv32im/ilp32):
   stdout/stderr through write(2), malloc through brk(2), exit through
   exit_group(2), TLS set up from the PT_TLS program header. Only three
   syscalls are used: write (64), exit_group (94), brk (214). */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

int main(int argc, char **argv);
void __libc_init_array(void);
void __isa_rv32_start(uint32_t *sp);

static long sys3(long n, long a, long b, long c)
{
    register long a0 __asm__("a0") = a;
    register long a1 __asm__("a1") = b;
    register long a2 __asm__("a2") = c;
    register long a7 __asm__("a7") = n;
    __asm__ volatile("ecall" : "+r"(a0) : "r"(a1), "r"(a2), "r"(a7) : "memory");
    return a0;
}

/* ---- stdout: line buffered ---- */
static char obuf[256];
static unsigned olen;

static int out_flush(FILE *f)
{
    (void)f;
    unsigned off = 0;
    while (off < olen) {
        long r = sys3(64, 1, (long)(obuf + off), (long)(olen - off));
        if (r <= 0)
            break;
        off += (unsigned)r;
    }
    olen = 0;
    return 0;
}

static int out_put(char c, FILE *f)
{
    obuf[olen++] = c;
    if (c == '\n' || olen == sizeof obuf)
        out_flush(f);
    return (unsigned char)c;
}

static int in_get(FILE *f)
{
    (void)f;
    return EOF;
}

static FILE io_out = FDEV_SETUP_STREAM(out_put, NULL, out_flush, _FDEV_SETUP_WRITE);
static FILE io_in = FDEV_SETUP_STREAM(NULL, in_get, NULL, _FDEV_SETUP_READ);
FILE *const stdout = &io_out;
FILE *const stderr = &io_out;
FILE *const stdin = &io_in;

void _exit(int status)
{
    out_flush(stdout);
    for (;;)
        sys3(94, status, 0, 0);
}

/* ---- heap ---- */
void *sbrk(ptrdiff_t incr)
{
    static uintptr_t cur;
    if (cur == 0)
        cur = (uintptr_t)sys3(214, 0, 0, 0);
    uintptr_t old = cur, want = cur + (uintptr_t)incr;
    if ((uintptr_t)sys3(214, (long)want, 0, 0) < want)
        return (void *)-1;
    cur = want;
    return (void *)old;
}

/* ---- TLS (picolibc keeps errno etc. in TLS, local-exec model: tp = block start) ---- */
#define PT_TLS 7
#define AT_PHDR 3
#define AT_PHNUM 5
struct phdr32 { uint32_t type, offset, vaddr, paddr, filesz, memsz, flags, align; };
static uint8_t tls_block[512] __attribute__((aligned(64)));

static void init_tls(char **envp)
{
    while (*envp)
        envp++;
    const struct phdr32 *ph = 0;
    uint32_t phnum = 0;
    for (uint32_t *av = (uint32_t *)(envp + 1); av[0] != 0; av += 2) {
        if (av[0] == AT_PHDR) ph = (const struct phdr32 *)av[1];
        if (av[0] == AT_PHNUM) phnum = av[1];
    }
    for (uint32_t i = 0; ph && i < phnum; i++) {
        if (ph[i].type != PT_TLS)
            continue;
        if (ph[i].memsz > sizeof tls_block || ph[i].align > 64) {
            static const char msg[] = "rv32 start: TLS segment too large\n";
            sys3(64, 2, (long)msg, sizeof msg - 1);
            sys3(94, 127, 0, 0);
        }
        memcpy(tls_block, (const void *)ph[i].vaddr, ph[i].filesz);
    }
    __asm__ volatile("mv tp, %0" : : "r"(tls_block));
}

void __isa_rv32_start(uint32_t *sp)
{
    int argc = (int)sp[0];
    char **argv = (char **)(sp + 1);
    init_tls(argv + argc + 1);
    __libc_init_array();
    exit(main(argc, argv));
}
