using System.Collections.Generic;
using Isa.Generators.Model;
using Isa.Generators.Syntax;

namespace Isa.Generators.Semantics;

// The typed IR of instruction semantics. The binder builds it from the syntax tree with every
// implicit conversion made explicit, so the operands of a binary operator always have one type.
// The interpreter lowering renders it as C#; the JIT lowering will render it as x64.

internal abstract record IrExpr(IrType Type);

/// <summary>A constant; <see cref="Value"/> holds the two's-complement bits truncated to the type's width.</summary>
internal sealed record IrConst(ulong Value, IrType Type) : IrExpr(Type);

internal sealed record IrFloatConst(double Value, IrType Type) : IrExpr(Type);

internal sealed record IrField(FieldModel Field) : IrExpr(Field.Type);

internal sealed record IrLocal(Local Local) : IrExpr(Local.Type);

/// <summary>The address of the current instruction.</summary>
internal sealed record IrPc(IrType Type) : IrExpr(Type);

internal sealed record IrRegRead(RegisterModel Register, IrExpr? Index) : IrExpr(Register.Type);

internal sealed record IrUnary(string Operator, IrExpr Operand) : IrExpr(Operator == "!" ? IrType.Bool : Operand.Type);

internal sealed record IrBinary(string Operator, IrExpr Left, IrExpr Right, IrType Type) : IrExpr(Type);

/// <summary>A value conversion between integer types: truncation, or zero/sign extension by the source's signedness.</summary>
internal sealed record IrConvert(IrExpr Operand, IrType Type) : IrExpr(Type);

internal sealed record IrConditional(IrExpr Condition, IrExpr WhenTrue, IrExpr WhenFalse) : IrExpr(WhenTrue.Type);

internal sealed record IrSlice(IrExpr Operand, int High, int Low) : IrExpr(IrType.UInt(High - Low + 1));

internal sealed record IrBuiltinCall(Builtin Builtin, IReadOnlyList<IrExpr> Arguments, IrType Type) : IrExpr(Type);

internal sealed record IrFuncCall(FunctionModel Function, IReadOnlyList<IrExpr> Arguments) : IrExpr(Function.ReturnType);

internal abstract record IrStmt(SourceSpan Span);

internal sealed record IrLet(Local Local, IrExpr Value, SourceSpan Span) : IrStmt(Span);

internal sealed record IrAssignLocal(Local Local, IrExpr Value, SourceSpan Span) : IrStmt(Span);

internal sealed record IrRegWrite(RegisterModel Register, IrExpr? Index, IrExpr Value, SourceSpan Span) : IrStmt(Span);

internal sealed record IrIf(IrExpr Condition, IReadOnlyList<IrStmt> Then, IReadOnlyList<IrStmt> Else, SourceSpan Span) : IrStmt(Span);

internal sealed record IrEffect(IrExpr Call, SourceSpan Span) : IrStmt(Span);

internal sealed record IrRaise(TrapKindName Kind, IrExpr? Value, SourceSpan Span) : IrStmt(Span);

internal sealed record IrReturn(IrExpr? Value, SourceSpan Span) : IrStmt(Span);

/// <summary>A local variable or function parameter.</summary>
internal sealed class Local
{
    public Local(string name, IrType type, int id)
    {
        Name = name;
        Type = type;
        Id = id;
    }

    public string Name { get; }

    public IrType Type { get; }

    public int Id { get; }

    /// <summary>The C# identifier: unique within a handler even when spec names shadow.</summary>
    public string CSharpName => Id == 0 ? Name : Name + "_" + Id;
}

/// <summary>The trap kinds a spec may raise, by their spec name and the runtime's TrapKind member.</summary>
internal sealed record TrapKindName(string SpecName, string RuntimeName)
{
    public static readonly IReadOnlyDictionary<string, TrapKindName> All = new Dictionary<string, TrapKindName>
    {
        ["syscall"] = new("syscall", "Syscall"),
        ["breakpoint"] = new("breakpoint", "Breakpoint"),
        ["trap"] = new("trap", "Trap"),
        ["overflow"] = new("overflow", "IntegerOverflow"),
        ["illegal"] = new("illegal", "IllegalInstruction"),
        ["address_error"] = new("address_error", "AddressError"),
        ["memory_fault"] = new("memory_fault", "MemoryFault"),
        ["fp_exception"] = new("fp_exception", "FloatingPoint"),
        ["halt"] = new("halt", "Halt"),
    };
}
