/* Switch-based state machines: a lexer for a small expression language
   (dense switch over characters and states -> jump tables), an evaluator
   for the token stream, and a run-length decoder. Exits 0. */
#include <stdio.h>
#include <string.h>

enum tok { T_END, T_NUM, T_IDENT, T_PLUS, T_MINUS, T_STAR, T_SLASH, T_LPAREN, T_RPAREN,
           T_ASSIGN, T_SEMI, T_ERR };
static const char *tok_names[] = {"END", "NUM", "ID", "+", "-", "*", "/", "(", ")", "=", ";", "ERR"};

struct lexer { const char *p; int value; char ident[16]; };

static enum tok next(struct lexer *lx)
{
    enum { S_START, S_NUM, S_IDENT, S_COMMENT } state = S_START;
    int n = 0;
    for (;;) {
        unsigned char c = (unsigned char)*lx->p;
        switch (state) {
        case S_START:
            switch (c) {
            case 0: return T_END;
            case ' ': case '\t': case '\n': lx->p++; break;
            case '#': state = S_COMMENT; lx->p++; break;
            case '+': lx->p++; return T_PLUS;
            case '-': lx->p++; return T_MINUS;
            case '*': lx->p++; return T_STAR;
            case '/': lx->p++; return T_SLASH;
            case '(': lx->p++; return T_LPAREN;
            case ')': lx->p++; return T_RPAREN;
            case '=': lx->p++; return T_ASSIGN;
            case ';': lx->p++; return T_SEMI;
            case '0': case '1': case '2': case '3': case '4':
            case '5': case '6': case '7': case '8': case '9':
                lx->value = 0; state = S_NUM; break;
            default:
                if ((c >= 'a' && c <= 'z') || c == '_') { n = 0; state = S_IDENT; break; }
                lx->p++;
                return T_ERR;
            }
            break;
        case S_NUM:
            if (c >= '0' && c <= '9') { lx->value = lx->value * 10 + (c - '0'); lx->p++; }
            else return T_NUM;
            break;
        case S_IDENT:
            if ((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_') {
                if (n < 15) lx->ident[n++] = (char)c;
                lx->ident[n] = 0;
                lx->p++;
            } else return T_IDENT;
            break;
        case S_COMMENT:
            if (c == 0) return T_END;
            if (c == '\n') state = S_START;
            lx->p++;
            break;
        }
    }
}

/* recursive-descent evaluator over the lexer, with 26 single-letter variables */
static struct lexer lx;
static enum tok cur;
static int vars[26];
static int errors;

static void advance(void) { cur = next(&lx); }
static int expr(void);

static int primary(void)
{
    int v = 0;
    switch (cur) {
    case T_NUM: v = lx.value; advance(); break;
    case T_IDENT: v = vars[(lx.ident[0] - 'a') % 26]; advance(); break;
    case T_MINUS: advance(); v = -primary(); break;
    case T_LPAREN:
        advance(); v = expr();
        if (cur != T_RPAREN) errors++;
        advance(); break;
    default: errors++; advance(); break;
    }
    return v;
}

static int term(void)
{
    int v = primary();
    while (cur == T_STAR || cur == T_SLASH) {
        enum tok op = cur;
        advance();
        int r = primary();
        if (op == T_STAR) v *= r;
        else if (r != 0) v /= r;
        else errors++;
    }
    return v;
}

static int expr(void)
{
    int v = term();
    while (cur == T_PLUS || cur == T_MINUS) {
        enum tok op = cur;
        advance();
        int r = term();
        v = op == T_PLUS ? v + r : v - r;
    }
    return v;
}

static const char program[] =
    "a = 6 * 7;  # the answer\n"
    "b = (a - 2) / 5 + -3;\n"
    "c = a * b - (b * b * b) / (1 + 1);\n"
    "d = c / 0;  # error\n"
    "e = ((((1 + 2) * 3 + 4) * 5 + 6) * 7) - a;\n"
    "f = e * e * e / 1000 + $;\n"
    "g = f - e - d - c - b - a;\n";

/* run-length decoding state machine: "3a2b1c" -> "aaabbc", "\\" escapes digits */
static int rle_decode(const char *in, char *out, int cap)
{
    enum { R_COUNT, R_CHAR, R_ESC } st = R_COUNT;
    int count = 0, n = 0;
    for (; *in; in++) {
        char c = *in;
        switch (st) {
        case R_COUNT:
            if (c >= '0' && c <= '9') { count = count * 10 + (c - '0'); break; }
            st = R_CHAR;
            /* fall through */
        case R_CHAR:
            if (c == '\\') { st = R_ESC; break; }
            /* fall through */
        case R_ESC:
            if (count == 0) count = 1;
            while (count-- > 0 && n < cap - 1) out[n++] = c;
            count = 0;
            st = R_COUNT;
            break;
        }
    }
    out[n] = 0;
    return n;
}

int main(void)
{
    int counts[12] = {0};
    lx.p = program;
    for (enum tok t = next(&lx); t != T_END; t = next(&lx))
        counts[t]++;
    for (int i = 1; i < 12; i++)
        printf("%s:%d ", tok_names[i], counts[i]);
    printf("\n");

    lx.p = program;
    advance();
    while (cur != T_END) {
        if (cur != T_IDENT) { errors++; advance(); continue; }
        int var = (lx.ident[0] - 'a') % 26;
        advance();
        if (cur == T_ASSIGN) advance(); else errors++;
        vars[var] = expr();
        if (cur == T_SEMI) advance(); else errors++;
        printf("%c = %d\n", 'a' + var, vars[var]);
    }
    printf("errors=%d\n", errors);

    static const char *rle[] = {"3a2b1c", "10x", "a5\\3z", "12-4=2\\\\", ""};
    char out[64];
    for (int i = 0; i < 5; i++) {
        int n = rle_decode(rle[i], out, (int)sizeof out);
        printf("rle(\"%s\") = \"%s\" (%d)\n", rle[i], out, n);
    }
    return 0;
}
