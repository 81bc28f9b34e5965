using System.Collections.Generic;

namespace Isa.Generators.Syntax;

// The syntax tree of a spec file, as written: names are not resolved and nothing is typed yet.

internal sealed record SpecFile(string Path, List<IsaDecl> Isas);

internal sealed record IsaDecl(string Name, string? BaseName, List<Member> Members, SourceSpan Span);

internal abstract record Member(SourceSpan Span);

/// <summary><c>name value, value ...;</c>: endian, insn_bits, elf_machine, delay_slot, description.</summary>
internal sealed record SettingDecl(string Key, List<Token> Values, SourceSpan Span) : Member(Span);

internal sealed record RegisterDecl(string Name, int Count, TypeRef Type, List<string> Names, string? NamePattern, List<int> Hardwired, SourceSpan Span) : Member(Span);

/// <summary>A field's bits, most significant part first; a literal part supplies constant bits.</summary>
internal sealed record FieldDecl(string Name, List<FieldPart> Parts, bool Signed, string? RegisterFile, SourceSpan Span) : Member(Span);

internal sealed record FieldPart(int High, int Low, string? Literal)
{
    public int Width => Literal?.Length ?? High - Low + 1;
}

/// <summary><c>names csr_names { 0xc00 = cycle, ... }</c>: how the disassembler prints an operand's values.</summary>
internal sealed record NamesDecl(string Name, List<NameEntry> Entries, SourceSpan Span) : Member(Span);

internal sealed record NameEntry(ulong Value, string Name, SourceSpan Span);

internal sealed record FormatDecl(string Name, List<PatternItem> Pattern, SourceSpan Span) : Member(Span);

internal sealed record InsnDecl(
    string Name,
    bool IsOverride,
    Encoding Encoding,
    string Syntax,
    SourceSpan SyntaxSpan,
    Block Body,
    SourceSpan Span) : Member(Span);

internal sealed record AliasDecl(string Name, string InsnName, Expr Condition, string Syntax, SourceSpan SyntaxSpan, SourceSpan Span) : Member(Span);

internal sealed record FuncDecl(string Name, List<Parameter> Parameters, TypeRef? ReturnType, Block Body, bool IsOverride, SourceSpan Span) : Member(Span);

internal sealed record Parameter(string Name, TypeRef Type, SourceSpan Span);

internal sealed record TestDecl(
    List<TestInsn> Instructions,
    int? Steps,
    string? Disassembly,
    List<Stmt> Setup,
    List<Stmt> Expect,
    string? ExpectedTrap,
    SourceSpan Span) : Member(Span);

internal sealed record TestInsn(string Name, List<Binding> Bindings, SourceSpan Span);

/// <summary><c>x64 insn [writes(rd, hi)] { mnemonic operand, ...; ... }</c>: a hand-written host template.</summary>
internal sealed record X64TemplateDecl(Token Insn, List<Token> Writes, List<X64Line> Lines, SourceSpan Span) : Member(Span);

/// <summary>One host instruction of a template.</summary>
internal sealed record X64Line(Token Mnemonic, List<X64Operand> Operands, SourceSpan Span);

/// <summary>
/// An operand: a placeholder <c>{name}</c> or <c>{name:bits}</c>, a number (possibly negative), or a
/// bare name (a host register, which templates may not name: reported when the template is checked).
/// </summary>
internal sealed record X64Operand(string? Placeholder, int? Bits, long? Number, string? Bare, SourceSpan Span);

internal sealed record RemoveDecl(List<Token> Names, SourceSpan Span) : Member(Span);

internal sealed record TypeRef(string Name, SourceSpan Span);

/// <summary>How an instruction is encoded: a pattern, or a format with some fields bound to constants.</summary>
internal sealed record Encoding(List<PatternItem>? Pattern, string? FormatName, List<Binding> Bindings, SourceSpan Span);

internal sealed record Binding(string Field, Expr Value, SourceSpan Span);

internal abstract record PatternItem(SourceSpan Span);

internal sealed record FixedBits(string Bits, SourceSpan Span) : PatternItem(Span);

internal sealed record FieldItem(string Field, SourceSpan Span) : PatternItem(Span);

internal sealed record AnyBits(int Count, SourceSpan Span) : PatternItem(Span);

// Statements

internal abstract record Stmt(SourceSpan Span);

internal sealed record Block(List<Stmt> Statements, SourceSpan Span) : Stmt(Span);

internal sealed record LetStmt(string Name, TypeRef? Type, Expr Value, SourceSpan Span) : Stmt(Span);

internal sealed record AssignStmt(Expr Target, Expr Value, SourceSpan Span) : Stmt(Span);

internal sealed record IfStmt(Expr Condition, Block Then, Stmt? Else, SourceSpan Span) : Stmt(Span);

internal sealed record ExprStmt(Expr Expression, SourceSpan Span) : Stmt(Span);

internal sealed record RaiseStmt(string Kind, Expr? Value, SourceSpan Span) : Stmt(Span);

internal sealed record ReturnStmt(Expr? Value, SourceSpan Span) : Stmt(Span);

// Expressions

internal abstract record Expr(SourceSpan Span);

internal sealed record NumberExpr(string Text, SourceSpan Span) : Expr(Span);

internal sealed record NameExpr(string Name, SourceSpan Span) : Expr(Span);

internal sealed record IndexExpr(Expr Target, Expr Index, SourceSpan Span) : Expr(Span);

internal sealed record SliceExpr(Expr Target, int High, int Low, SourceSpan Span) : Expr(Span);

internal sealed record CallExpr(string Name, List<Expr> Arguments, SourceSpan Span) : Expr(Span);

internal sealed record UnaryExpr(string Operator, Expr Operand, SourceSpan Span) : Expr(Span);

internal sealed record BinaryExpr(string Operator, Expr Left, Expr Right, SourceSpan Span) : Expr(Span);

internal sealed record ConditionalExpr(Expr Condition, Expr WhenTrue, Expr WhenFalse, SourceSpan Span) : Expr(Span);
