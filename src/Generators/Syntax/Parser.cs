using System;
using System.Collections.Generic;
using System.Linq;

namespace Isa.Generators.Syntax;

/// <summary>
/// Recursive-descent parser for spec files. A syntax error is reported once and the parser skips to
/// the next member, so one mistake does not hide the rest of the file's diagnostics.
/// </summary>
internal sealed class Parser
{
    private static readonly Dictionary<string, int> BinaryPrecedence = new()
    {
        ["||"] = 1,
        ["&&"] = 2,
        ["|"] = 3,
        ["^"] = 4,
        ["&"] = 5,
        ["=="] = 6,
        ["!="] = 6,
        ["<"] = 7,
        ["<="] = 7,
        [">"] = 7,
        [">="] = 7,
        ["<<"] = 8,
        [">>"] = 8,
        ["+"] = 9,
        ["-"] = 9,
        ["*"] = 10,
        ["/"] = 10,
        ["%"] = 10,
    };

    /// <summary>Words that start a member: a setting or pattern that runs into one is missing its end.</summary>
    private static readonly HashSet<string> MemberKeywords = new()
    {
        "isa", "register", "field", "format", "names", "insn", "override", "alias", "func", "test", "remove", "x64",
    };

    private readonly string _path;
    private readonly List<Token> _tokens;
    private readonly List<SpecDiagnostic> _diagnostics;
    private int _pos;

    private Parser(string path, string text, List<SpecDiagnostic> diagnostics, SourceSpan? origin = null)
    {
        _path = path;
        _tokens = new Lexer(path, text, origin).Tokenize();
        _diagnostics = diagnostics;
    }

    public static SpecFile Parse(string path, string text, List<SpecDiagnostic> diagnostics)
    {
        var parser = new Parser(path, text, diagnostics);
        return parser.ParseFile();
    }

    /// <summary>Parses a standalone expression (assembly syntax placeholders).</summary>
    /// <param name="at">Where syntax errors are reported: the syntax string.</param>
    /// <param name="origin">Where <paramref name="text"/> starts in the file, for the spans of the expression.</param>
    public static Expr? ParseExpression(string path, string text, SourceSpan at, SourceSpan origin, List<SpecDiagnostic> diagnostics)
    {
        var parser = new Parser(path, text, diagnostics, origin);
        try
        {
            Expr e = parser.ParseExpr();
            if (parser.Current.Kind != TokenKind.EndOfFile)
            {
                throw new ParseError(parser.Current.Span, $"unexpected {parser.Current} in '{text}'");
            }

            return e;
        }
        catch (ParseError error)
        {
            diagnostics.Add(Diagnostics.BadSyntaxTemplate.At(at, $"in placeholder '{{{text}}}': {error.Message}"));
            return null;
        }
    }

    private Token Current => _tokens[_pos];

    private SpecFile ParseFile()
    {
        var isas = new List<IsaDecl>();
        while (Current.Kind != TokenKind.EndOfFile)
        {
            try
            {
                isas.Add(ParseIsa());
            }
            catch (ParseError error)
            {
                Report(error);
                return new SpecFile(_path, isas);
            }
        }

        return new SpecFile(_path, isas);
    }

    private IsaDecl ParseIsa()
    {
        Token start = Expect("isa");
        string name = ExpectIdentifier().Text;
        string? baseName = Accept(":") ? ExpectIdentifier().Text : null;
        Expect("{");
        var members = new List<Member>();
        while (!Current.Is("}"))
        {
            if (Current.Kind == TokenKind.EndOfFile)
            {
                throw new ParseError(Current.Span, $"missing '}}' closing isa {name}");
            }

            int memberStart = _pos;
            try
            {
                members.Add(ParseMember());
            }
            catch (ParseError error)
            {
                Report(error);

                // Skip from the member's start, not from the error, so that the braces the member
                // opened before the error are matched: a '}' at the error is not the isa's end.
                _pos = memberStart;
                SkipToNextMember();
            }
        }

        Token end = Expect("}");
        return new IsaDecl(name, baseName, members, start.Span.To(end.Span));
    }

    private Member ParseMember()
    {
        Token start = Current;
        bool isOverride = Accept("override");
        if (isOverride && !(Current.Is("insn") || Current.Is("func")))
        {
            throw new ParseError(Current.Span, "'override' goes before 'insn' or 'func'");
        }

        switch (Current.Text)
        {
            case "register" when Current.Kind == TokenKind.Identifier: return ParseRegister();
            case "field" when Current.Kind == TokenKind.Identifier: return ParseField();
            case "format" when Current.Kind == TokenKind.Identifier: return ParseFormat();
            case "names" when Current.Kind == TokenKind.Identifier: return ParseNames();
            case "insn" when Current.Kind == TokenKind.Identifier: return ParseInsn(start, isOverride);
            case "alias" when Current.Kind == TokenKind.Identifier: return ParseAlias();
            case "func" when Current.Kind == TokenKind.Identifier: return ParseFunc(start, isOverride);
            case "test" when Current.Kind == TokenKind.Identifier: return ParseTest();
            case "remove" when Current.Kind == TokenKind.Identifier: return ParseRemove();
            case "x64" when _tokens[_pos + 1].Kind == TokenKind.Identifier: return ParseX64Template();
            default: return ParseSetting();
        }
    }

    private SettingDecl ParseSetting()
    {
        Token key = ExpectIdentifier();
        var values = new List<Token>();
        while (!Current.Is(";"))
        {
            if (Current.Kind is TokenKind.EndOfFile or TokenKind.Error
                || (Current.Kind == TokenKind.Punctuation && !Current.Is(",") && !Current.Is("-"))
                || (Current.Kind == TokenKind.Identifier && MemberKeywords.Contains(Current.Text)))
            {
                throw Unexpected($"expected ';' after setting '{key.Text}', found {Current}");
            }

            if (Current.Is(","))
            {
                _pos++;
                continue;
            }

            if (Current.Is("-"))
            {
                Token minus = Advance();
                Token number = Current.Kind == TokenKind.Number ? Advance() : throw new ParseError(Current.Span, "expected a number after '-'");
                values.Add(new Token(TokenKind.Number, "-" + number.Text, minus.Span.To(number.Span)));
                continue;
            }

            values.Add(Advance());
        }

        Token end = Expect(";");
        return new SettingDecl(key.Text, values, key.Span.To(end.Span));
    }

    private RegisterDecl ParseRegister()
    {
        Token start = Expect("register");
        string name = ExpectIdentifier().Text;
        int count = 1;
        if (Accept("["))
        {
            count = ExpectInt();
            Expect("]");
        }

        Expect(":");
        TypeRef type = ParseType();
        var names = new List<string>();
        string? pattern = null;
        var hardwired = new List<int>();
        while (!Current.Is(";"))
        {
            Token option = ExpectIdentifier();
            if (option.Text == "names")
            {
                Expect("(");
                do
                {
                    Token n = Current.Kind is TokenKind.Identifier or TokenKind.String
                        ? Advance()
                        : throw new ParseError(Current.Span, "expected a register name");
                    names.Add(n.Text);
                }
                while (Accept(","));
                Expect(")");
                if (names.Count == 1 && names[0].Contains("{}"))
                {
                    pattern = names[0];
                    names.Clear();
                }
            }
            else if (option.Text == "hardwired")
            {
                Expect("(");
                do
                {
                    hardwired.Add(ExpectInt());
                }
                while (Accept(","));
                Expect(")");
            }
            else
            {
                throw new ParseError(option.Span, $"expected ';' or a register option ('names', 'hardwired'), found '{option.Text}'");
            }
        }

        Token end = Expect(";");
        return new RegisterDecl(name, count, type, names, pattern, hardwired, start.Span.To(end.Span));
    }

    private FieldDecl ParseField()
    {
        Token start = Expect("field");
        string name = ExpectIdentifier().Text;
        Expect("=");
        var parts = new List<FieldPart>();
        while (Current.Is("[") || Current.Kind == TokenKind.Number)
        {
            if (Current.Kind == TokenKind.Number)
            {
                Token bits = Advance();
                string text = bits.Text.StartsWith("0b", StringComparison.Ordinal) ? bits.Text.Substring(2) : "";
                if (text.Length == 0 || text.Any(c => c != '0' && c != '1'))
                {
                    throw new ParseError(bits.Span, $"constant field bits must be written in binary (0b0), not '{bits.Text}'");
                }

                parts.Add(new FieldPart(0, 0, text));
                continue;
            }

            Expect("[");
            int high = ExpectInt();
            int low = Accept(":") ? ExpectInt() : high;
            Expect("]");
            parts.Add(new FieldPart(high, low, null));
        }

        if (parts.Count == 0)
        {
            throw new ParseError(Current.Span, $"expected the bits of field '{name}', as [hi:lo]");
        }

        bool signed = Accept("signed");
        string? file = Accept(":") ? ExpectIdentifier().Text : null;
        Token end = Expect(";");
        return new FieldDecl(name, parts, signed, file, start.Span.To(end.Span));
    }

    /// <summary><c>names NAME { value = name, ... }</c>: a trailing comma is allowed, names may be strings.</summary>
    private NamesDecl ParseNames()
    {
        Token start = Expect("names");
        string name = ExpectIdentifier().Text;
        Expect("{");
        var entries = new List<NameEntry>();
        while (!Current.Is("}"))
        {
            Token number = Current;
            if (number.Kind != TokenKind.Number || !Numbers.TryParse(number.Text, out ulong value))
            {
                throw new ParseError(number.Span, $"expected a number in names '{name}', found {number}");
            }

            _pos++;
            Expect("=");
            Token text = Current.Kind is TokenKind.Identifier or TokenKind.String
                ? Advance()
                : throw new ParseError(Current.Span, $"expected the name printed for {number.Text}");
            entries.Add(new NameEntry(value, text.Text, number.Span.To(text.Span)));
            if (!Accept(","))
            {
                break;
            }
        }

        Token end = Expect("}");
        Accept(";");
        return new NamesDecl(name, entries, start.Span.To(end.Span));
    }

    private FormatDecl ParseFormat()
    {
        Token start = Expect("format");
        string name = ExpectIdentifier().Text;
        Expect("=");
        List<PatternItem> pattern = ParsePattern();
        Token end = Expect(";");
        return new FormatDecl(name, pattern, start.Span.To(end.Span));
    }

    private List<PatternItem> ParsePattern()
    {
        var items = new List<PatternItem>();
        while (true)
        {
            Token t = Current;
            if (t.Kind == TokenKind.Number)
            {
                string bits = t.Text.StartsWith("0b", StringComparison.Ordinal) ? t.Text.Substring(2) : t.Text;
                if (bits.Length == 0 || bits.Any(c => c != '0' && c != '1'))
                {
                    throw new ParseError(t.Span, $"pattern bits must be 0 or 1, not '{t.Text}'");
                }

                items.Add(new FixedBits(bits, t.Span));
                _pos++;
            }
            else if (t.Is("."))
            {
                int count = 0;
                SourceSpan first = t.Span, last = t.Span;
                while (Current.Is("."))
                {
                    last = Advance().Span;
                    count++;
                }

                items.Add(new AnyBits(count, first.To(last)));
            }
            else if (t.Kind == TokenKind.Identifier && !MemberKeywords.Contains(t.Text))
            {
                items.Add(new FieldItem(t.Text, t.Span));
                _pos++;
            }
            else
            {
                if (items.Count == 0)
                {
                    throw Unexpected($"expected an encoding pattern, found {t}");
                }

                return items;
            }
        }
    }

    private InsnDecl ParseInsn(Token start, bool isOverride)
    {
        Expect("insn");
        Token name = ExpectIdentifier();
        Encoding encoding = ParseEncoding();
        Token syntax = Current.Kind == TokenKind.String
            ? Advance()
            : throw Unexpected($"expected the assembly syntax of '{name.Text}' as a string");
        if (Current.Kind == TokenKind.Error)
        {
            throw new ParseError(Current.Span, Current.Text);
        }

        if (!Current.Is("{"))
        {
            throw new ParseError(Current.Span, $"instruction '{name.Text}' has no semantics: expected '{{' after its syntax", Diagnostics.MissingSemantics);
        }

        Block body = ParseBlock();
        return new InsnDecl(name.Text, isOverride, encoding, syntax.Text, syntax.Span, body, start.Span.To(body.Span));
    }

    private Encoding ParseEncoding()
    {
        Token start = Current;
        if (Accept("="))
        {
            List<PatternItem> pattern = ParsePattern();
            return new Encoding(pattern, null, new List<Binding>(), start.Span.To(pattern[pattern.Count - 1].Span));
        }

        Expect(":");
        Token format = ExpectIdentifier();
        List<Binding> bindings = Current.Is("(") ? ParseBindings() : new List<Binding>();
        return new Encoding(null, format.Text, bindings, start.Span.To(_tokens[_pos - 1].Span));
    }

    private List<Binding> ParseBindings()
    {
        Expect("(");
        var bindings = new List<Binding>();
        if (!Current.Is(")"))
        {
            do
            {
                Token field = ExpectIdentifier();
                Expect("=");
                Expr value = ParseExpr();
                bindings.Add(new Binding(field.Text, value, field.Span.To(value.Span)));
            }
            while (Accept(","));
        }

        Expect(")");
        return bindings;
    }

    private AliasDecl ParseAlias()
    {
        Token start = Expect("alias");
        Token name = ExpectIdentifier();
        Expect("=");
        Token insn = ExpectIdentifier();
        Expr condition = Accept("when") ? ParseExpr() : new NameExpr("true", insn.Span);
        Token syntax = Current.Kind == TokenKind.String ? Advance() : throw Unexpected("expected the alias's assembly syntax as a string");
        Token end = Expect(";");
        return new AliasDecl(name.Text, insn.Text, condition, syntax.Text, syntax.Span, start.Span.To(end.Span));
    }

    private FuncDecl ParseFunc(Token start, bool isOverride)
    {
        Expect("func");
        Token name = ExpectIdentifier();
        Expect("(");
        var parameters = new List<Parameter>();
        if (!Current.Is(")"))
        {
            do
            {
                Token p = ExpectIdentifier();
                Expect(":");
                TypeRef type = ParseType();
                parameters.Add(new Parameter(p.Text, type, p.Span.To(type.Span)));
            }
            while (Accept(","));
        }

        Expect(")");
        TypeRef? returnType = Accept(":") ? ParseType() : null;
        Block body = ParseBlock();
        return new FuncDecl(name.Text, parameters, returnType, body, isOverride, start.Span.To(body.Span));
    }

    private TestDecl ParseTest()
    {
        Token start = Expect("test");
        var insns = new List<TestInsn>();
        do
        {
            Token name = ExpectIdentifier();
            List<Binding> bindings = Current.Is("(") ? ParseBindings() : new List<Binding>();
            insns.Add(new TestInsn(name.Text, bindings, name.Span.To(_tokens[_pos - 1].Span)));
        }
        while (Accept(","));

        int? steps = null;
        if (Accept("steps"))
        {
            steps = ExpectInt();
        }

        string? disassembly = Current.Kind == TokenKind.String ? Advance().Text : null;
        Block setup = ParseBlock();
        Expect("=>");
        if (Accept("raise"))
        {
            Token kind = ExpectIdentifier();
            Block expectAfterTrap = Current.Is("{") ? ParseBlock() : new Block(new List<Stmt>(), kind.Span);
            Accept(";");
            return new TestDecl(insns, steps, disassembly, setup.Statements, expectAfterTrap.Statements, kind.Text, start.Span.To(kind.Span));
        }

        Block expect = ParseBlock();
        return new TestDecl(insns, steps, disassembly, setup.Statements, expect.Statements, null, start.Span.To(expect.Span));
    }

    private RemoveDecl ParseRemove()
    {
        Token start = Expect("remove");
        var names = new List<Token>();
        do
        {
            names.Add(ExpectIdentifier());
        }
        while (Accept(","));
        Token end = Expect(";");
        return new RemoveDecl(names, start.Span.To(end.Span));
    }

    private X64TemplateDecl ParseX64Template()
    {
        Token start = Expect("x64");
        Token insn = ExpectIdentifier();
        var writes = new List<Token>();
        if (Accept("writes"))
        {
            Expect("(");
            do
            {
                writes.Add(ExpectIdentifier());
            }
            while (Accept(","));
            Expect(")");
        }

        Expect("{");
        var lines = new List<X64Line>();
        while (!Current.Is("}"))
        {
            Token mnemonic = ExpectIdentifier();
            var operands = new List<X64Operand>();
            if (!Current.Is(";"))
            {
                do
                {
                    operands.Add(ParseX64Operand());
                }
                while (Accept(","));
            }

            Token end = Expect(";");
            lines.Add(new X64Line(mnemonic, operands, mnemonic.Span.To(end.Span)));
        }

        Token close = Expect("}");
        return new X64TemplateDecl(insn, writes, lines, start.Span.To(close.Span));
    }

    private X64Operand ParseX64Operand()
    {
        Token start = Current;
        if (Accept("{"))
        {
            Token name = ExpectIdentifier();
            int? bits = Accept(":") ? ExpectInt() : null;
            Token close = Expect("}");
            return new X64Operand(name.Text, bits, null, null, start.Span.To(close.Span));
        }

        bool negative = Accept("-");
        if (Current.Kind == TokenKind.Number)
        {
            Token number = Advance();
            if (!Numbers.TryParse(number.Text, out ulong value) || (negative ? value > 0x8000_0000UL : value > uint.MaxValue))
            {
                throw new ParseError(number.Span, $"immediate {number.Text} does not fit 32 bits");
            }

            return new X64Operand(null, null, negative ? -(long)value : (long)value, null, start.Span.To(number.Span));
        }

        if (!negative && Current.Kind == TokenKind.Identifier)
        {
            Token bare = Advance();
            return new X64Operand(null, null, null, bare.Text, bare.Span);
        }

        throw Unexpected($"expected a template operand ({{placeholder}} or number), found {Current}");
    }

    private TypeRef ParseType()
    {
        Token t = ExpectIdentifier();
        return new TypeRef(t.Text, t.Span);
    }

    private Block ParseBlock()
    {
        Token start = Expect("{");
        var statements = new List<Stmt>();
        while (!Current.Is("}"))
        {
            if (Current.Kind == TokenKind.EndOfFile)
            {
                throw new ParseError(start.Span, "this '{' is never closed");
            }

            statements.Add(ParseStatement());
        }

        Token end = Expect("}");
        return new Block(statements, start.Span.To(end.Span));
    }

    private Stmt ParseStatement()
    {
        Token start = Current;
        if (Current.Is("{"))
        {
            return ParseBlock();
        }

        if (Accept("let"))
        {
            Token name = ExpectIdentifier();
            TypeRef? type = Accept(":") ? ParseType() : null;
            Expect("=");
            Expr value = ParseExpr();
            Token end = Expect(";");
            return new LetStmt(name.Text, type, value, start.Span.To(end.Span));
        }

        if (Accept("if"))
        {
            Expect("(");
            Expr condition = ParseExpr();
            Expect(")");
            Block then = ParseBlock();
            Stmt? otherwise = null;
            if (Accept("else"))
            {
                otherwise = Current.Is("if") ? ParseStatement() : ParseBlock();
            }

            return new IfStmt(condition, then, otherwise, start.Span.To((otherwise ?? then).Span));
        }

        if (Accept("raise"))
        {
            Token kind = ExpectIdentifier();
            Expr? value = null;
            if (Accept("("))
            {
                value = ParseExpr();
                Expect(")");
            }

            Token end = Expect(";");
            return new RaiseStmt(kind.Text, value, start.Span.To(end.Span));
        }

        if (Accept("return"))
        {
            Expr? value = Current.Is(";") ? null : ParseExpr();
            Token end = Expect(";");
            return new ReturnStmt(value, start.Span.To(end.Span));
        }

        Expr target = ParseExpr();
        if (Accept("="))
        {
            Expr value = ParseExpr();
            Token end = Expect(";");
            return new AssignStmt(target, value, start.Span.To(end.Span));
        }

        Token close = Expect(";");
        return new ExprStmt(target, start.Span.To(close.Span));
    }

    private Expr ParseExpr()
    {
        Expr condition = ParseBinary(1);
        if (!Accept("?"))
        {
            return condition;
        }

        Expr whenTrue = ParseExpr();
        Expect(":");
        Expr whenFalse = ParseExpr();
        return new ConditionalExpr(condition, whenTrue, whenFalse, condition.Span.To(whenFalse.Span));
    }

    private Expr ParseBinary(int minPrecedence)
    {
        Expr left = ParseUnary();
        while (Current.Kind == TokenKind.Punctuation && BinaryPrecedence.TryGetValue(Current.Text, out int precedence) && precedence >= minPrecedence)
        {
            string op = Advance().Text;
            Expr right = ParseBinary(precedence + 1);
            left = new BinaryExpr(op, left, right, left.Span.To(right.Span));
        }

        return left;
    }

    private Expr ParseUnary()
    {
        if (Current.Is("-") || Current.Is("~") || Current.Is("!"))
        {
            Token op = Advance();
            Expr operand = ParseUnary();
            return new UnaryExpr(op.Text, operand, op.Span.To(operand.Span));
        }

        return ParsePostfix(ParsePrimary());
    }

    private Expr ParsePrimary()
    {
        Token t = Current;
        switch (t.Kind)
        {
            case TokenKind.Number:
                _pos++;
                return new NumberExpr(t.Text, t.Span);
            case TokenKind.Identifier:
                _pos++;
                if (Current.Is("("))
                {
                    _pos++;
                    var args = new List<Expr>();
                    if (!Current.Is(")"))
                    {
                        do
                        {
                            args.Add(ParseExpr());
                        }
                        while (Accept(","));
                    }

                    Token close = Expect(")");
                    return new CallExpr(t.Text, args, t.Span.To(close.Span));
                }

                return new NameExpr(t.Text, t.Span);
            case TokenKind.Punctuation when t.Is("("):
                _pos++;
                Expr inner = ParseExpr();
                Expect(")");
                return inner;
            case TokenKind.Error:
                throw new ParseError(t.Span, t.Text);
            default:
                throw new ParseError(t.Span, $"expected an expression, found {t}");
        }
    }

    private Expr ParsePostfix(Expr target)
    {
        while (Current.Is("["))
        {
            _pos++;
            if (Current.Kind == TokenKind.Number && _tokens[_pos + 1].Is(":"))
            {
                int high = ExpectInt();
                Expect(":");
                int low = ExpectInt();
                Token close = Expect("]");
                target = new SliceExpr(target, high, low, target.Span.To(close.Span));
                continue;
            }

            Expr index = ParseExpr();
            Token end = Expect("]");
            target = new IndexExpr(target, index, target.Span.To(end.Span));
        }

        return target;
    }

    private bool Accept(string text)
    {
        if (Current.Is(text))
        {
            _pos++;
            return true;
        }

        return false;
    }

    private Token Advance() => _tokens[_pos++];

    private Token Expect(string text)
    {
        if (Current.Is(text))
        {
            return _tokens[_pos++];
        }

        throw new ParseError(Current.Span, Current.Kind == TokenKind.Error ? Current.Text : $"expected '{text}', found {Current}");
    }

    private Token ExpectIdentifier()
    {
        if (Current.Kind == TokenKind.Identifier)
        {
            return _tokens[_pos++];
        }

        throw new ParseError(Current.Span, Current.Kind == TokenKind.Error ? Current.Text : $"expected a name, found {Current}");
    }

    private int ExpectInt()
    {
        Token t = Current;
        if (t.Kind == TokenKind.Number && Numbers.TryParse(t.Text, out ulong value) && value <= int.MaxValue)
        {
            _pos++;
            return (int)value;
        }

        throw new ParseError(t.Span, $"expected a small whole number, found {t}");
    }

    /// <summary>An error at the current token: the lexer's message if the token is malformed, else <paramref name="message"/>.</summary>
    private ParseError Unexpected(string message) => new(Current.Span, Current.Kind == TokenKind.Error ? Current.Text : message);

    private void Report(ParseError error) => _diagnostics.Add(error.Descriptor.At(error.Span, error.Message));

    /// <summary>Skips past the current member: to a ';' or a balanced '}' at member depth.</summary>
    private void SkipToNextMember()
    {
        int depth = 0;
        while (Current.Kind != TokenKind.EndOfFile)
        {
            if (Current.Is("{"))
            {
                depth++;
            }
            else if (Current.Is("}"))
            {
                if (depth == 0)
                {
                    return;
                }

                depth--;
                if (depth == 0)
                {
                    _pos++;
                    if (!Current.Is("=>"))
                    {
                        Accept(";");
                        return;
                    }

                    continue;
                }
            }
            else if (Current.Is(";") && depth == 0)
            {
                _pos++;
                return;
            }

            _pos++;
        }
    }

    private sealed class ParseError : Exception
    {
        public ParseError(SourceSpan span, string message, Microsoft.CodeAnalysis.DiagnosticDescriptor? descriptor = null)
            : base(message)
        {
            Span = span;
            Descriptor = descriptor ?? Diagnostics.Syntax;
        }

        public SourceSpan Span { get; }

        public Microsoft.CodeAnalysis.DiagnosticDescriptor Descriptor { get; }
    }
}
