using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Isa.Generators.Model;
using Isa.Generators.Syntax;

namespace Isa.Generators.Semantics;

/// <summary>
/// Binds semantics to the typed IR: resolves names, types every expression, makes implicit
/// conversions explicit and reports each spec error once, at its span.
/// Typing rules: integer literals adapt to the other operand; integers of one signedness widen to
/// the wider; an unsigned value widens into a wider signed type; any other mix is an error that
/// asks for an explicit conversion such as <c>u32(x)</c>.
/// </summary>
internal sealed class Binder
{
    private readonly IsaModel _isa;
    private readonly List<SpecDiagnostic> _diagnostics;
    private readonly Dictionary<string, FunctionModel> _functions;
    private InsnModel? _insn;
    private FunctionModel? _function;
    private List<Dictionary<string, Local>> _scopes = new();
    private int _nextLocalId;

    public Binder(IsaModel isa, Dictionary<string, FunctionModel> functions, List<SpecDiagnostic> diagnostics)
    {
        _isa = isa;
        _functions = functions;
        _diagnostics = diagnostics;
    }

    public IReadOnlyList<IrStmt> BindInstruction(InsnModel insn, Block body)
    {
        Reset(insn, null);
        return BindBlock(body.Statements);
    }

    public IReadOnlyList<IrStmt> BindFunction(FunctionModel function, Block body)
    {
        Reset(null, function);
        foreach (Local p in function.Parameters)
        {
            _scopes[0][p.Name] = p;
        }

        IReadOnlyList<IrStmt> statements = BindBlock(body.Statements);
        if (function.ReturnType.Kind != TypeKind.Void && !AlwaysReturns(statements))
        {
            Report(Diagnostics.TypeMismatch, body.Span, $"function '{function.Name}' does not return a value on every path");
        }

        return statements;
    }

    /// <summary>Binds an expression over an instruction's fields and the PC (syntax placeholders, alias conditions).</summary>
    public IrExpr BindOperandExpression(InsnModel insn, Expr expr, IrType? expected)
    {
        Reset(insn, null);
        IrExpr e = BindExpr(expr, expected);
        return expected is { } t ? Coerce(e, t, expr.Span) : e;
    }

    private void Reset(InsnModel? insn, FunctionModel? function)
    {
        _insn = insn;
        _function = function;
        _scopes = new List<Dictionary<string, Local>> { new() };
        _nextLocalId = 0;
    }

    private static bool AlwaysReturns(IReadOnlyList<IrStmt> statements)
    {
        if (statements.Count == 0)
        {
            return false;
        }

        return statements[statements.Count - 1] switch
        {
            IrReturn or IrRaise => true,
            IrIf f => AlwaysReturns(f.Then) && AlwaysReturns(f.Else),
            _ => false,
        };
    }

    private List<IrStmt> BindBlock(List<Stmt> statements)
    {
        _scopes.Add(new Dictionary<string, Local>());
        var result = new List<IrStmt>();
        foreach (Stmt s in statements)
        {
            IrStmt? bound = BindStatement(s);
            if (bound is not null)
            {
                result.Add(bound);
            }
        }

        _scopes.RemoveAt(_scopes.Count - 1);
        return result;
    }

    private IrStmt? BindStatement(Stmt stmt)
    {
        switch (stmt)
        {
            case Block block:
                return new IrIf(new IrConst(1, IrType.Bool), BindBlock(block.Statements), new List<IrStmt>(), block.Span);
            case LetStmt let:
                return BindLet(let);
            case AssignStmt assign:
                return BindAssign(assign);
            case IfStmt ifStmt:
                {
                    IrExpr condition = RequireBool(BindExpr(ifStmt.Condition, IrType.Bool), ifStmt.Condition.Span);
                    IReadOnlyList<IrStmt> then = BindBlock(ifStmt.Then.Statements);
                    IReadOnlyList<IrStmt> otherwise = ifStmt.Else switch
                    {
                        null => new List<IrStmt>(),
                        Block b => BindBlock(b.Statements),
                        Stmt s => BindBlock(new List<Stmt> { s }),
                    };
                    return new IrIf(condition, then, otherwise, ifStmt.Span);
                }

            case ExprStmt exprStmt:
                {
                    if (exprStmt.Expression is not CallExpr)
                    {
                        Report(Diagnostics.TypeMismatch, exprStmt.Span, "only a call can stand alone as a statement");
                        return null;
                    }

                    return new IrEffect(BindExpr(exprStmt.Expression, null), exprStmt.Span);
                }

            case RaiseStmt raise:
                {
                    if (!TrapKindName.All.TryGetValue(raise.Kind, out TrapKindName? kind))
                    {
                        Report(Diagnostics.UnknownName, raise.Span, $"unknown trap kind '{raise.Kind}' (expected one of {string.Join(", ", TrapKindName.All.Keys)})");
                        return null;
                    }

                    IrExpr? value = raise.Value is null ? null : ToUnsigned64(BindExpr(raise.Value, null), raise.Value.Span);
                    return new IrRaise(kind, value, raise.Span);
                }

            case ReturnStmt ret:
                return BindReturn(ret);
            default:
                Report(Diagnostics.Syntax, stmt.Span, "unsupported statement");
                return null;
        }
    }

    private IrStmt? BindLet(LetStmt let)
    {
        IrType? declared = null;
        if (let.Type is not null)
        {
            declared = ResolveType(let.Type);
            if (declared is null)
            {
                return null;
            }
        }

        IrExpr value = BindExpr(let.Value, declared);
        if (declared is { } t)
        {
            value = Coerce(value, t, let.Value.Span);
        }
        else if (value.Type.IsLiteral)
        {
            Report(Diagnostics.TypeMismatch, let.Span, $"the type of '{let.Name}' cannot be inferred from a literal: write 'let {let.Name}: u32 = ...'");
            value = Coerce(value, _isa.PcType, let.Value.Span);
        }

        if (Lookup(let.Name) is not null)
        {
            Report(Diagnostics.Duplicate, let.Span, $"'{let.Name}' is already defined in this scope");
        }

        var local = new Local(let.Name, value.Type, _nextLocalId++);
        _scopes[_scopes.Count - 1][let.Name] = local;
        return new IrLet(local, value, let.Span);
    }

    private IrStmt? BindAssign(AssignStmt assign)
    {
        switch (assign.Target)
        {
            case NameExpr name when Lookup(name.Name) is { } local:
                return new IrAssignLocal(local, Coerce(BindExpr(assign.Value, local.Type), local.Type, assign.Value.Span), assign.Span);
            case NameExpr name when FindRegister(name.Name) is { } reg:
                if (reg.IsArray)
                {
                    Report(Diagnostics.TypeMismatch, name.Span, $"'{reg.Name}' is a register array: write {reg.Name}[index]");
                    return null;
                }

                return new IrRegWrite(reg, null, Coerce(BindExpr(assign.Value, reg.Type), reg.Type, assign.Value.Span), assign.Span);
            case IndexExpr { Target: NameExpr array } index when FindRegister(array.Name) is { IsArray: true } reg:
                {
                    IrExpr i = BindIndex(reg, index.Index);
                    return new IrRegWrite(reg, i, Coerce(BindExpr(assign.Value, reg.Type), reg.Type, assign.Value.Span), assign.Span);
                }

            case NameExpr name when name.Name == "pc":
                Report(Diagnostics.TypeMismatch, name.Span, "the PC cannot be assigned: use jump(target)");
                return null;
            case NameExpr name:
                Report(FindField(name.Name) is null ? Diagnostics.UnknownName : Diagnostics.TypeMismatch, name.Span,
                    FindField(name.Name) is null ? $"unknown name '{name.Name}'" : $"field '{name.Name}' cannot be assigned");
                return null;
            case IndexExpr { Target: NameExpr array } when IsUnknown(array.Name):
                Report(Diagnostics.UnknownName, array.Span, $"unknown register '{array.Name}'");
                return null;
            default:
                Report(Diagnostics.TypeMismatch, assign.Target.Span, "only locals and registers can be assigned");
                return null;
        }
    }

    private IrStmt? BindReturn(ReturnStmt ret)
    {
        if (_function is null)
        {
            if (ret.Value is not null)
            {
                Report(Diagnostics.TypeMismatch, ret.Span, "an instruction's semantics cannot return a value");
            }

            return new IrReturn(null, ret.Span);
        }

        if (_function.ReturnType.Kind == TypeKind.Void)
        {
            if (ret.Value is not null)
            {
                Report(Diagnostics.TypeMismatch, ret.Span, $"function '{_function.Name}' returns nothing");
            }

            return new IrReturn(null, ret.Span);
        }

        if (ret.Value is null)
        {
            Report(Diagnostics.TypeMismatch, ret.Span, $"function '{_function.Name}' must return a {_function.ReturnType}");
            return null;
        }

        return new IrReturn(Coerce(BindExpr(ret.Value, _function.ReturnType), _function.ReturnType, ret.Value.Span), ret.Span);
    }

    private IrExpr BindExpr(Expr expr, IrType? expected)
    {
        switch (expr)
        {
            case NumberExpr n:
                return BindNumber(n, expected);
            case NameExpr n:
                return BindName(n);
            case IndexExpr { Target: NameExpr array } index when FindRegister(array.Name) is { IsArray: true } reg:
                return new IrRegRead(reg, BindIndex(reg, index.Index));
            case IndexExpr { Target: NameExpr array } when IsUnknown(array.Name):
                Report(Diagnostics.UnknownName, array.Span, $"unknown register '{array.Name}'");
                return Error();
            case IndexExpr index:
                Report(Diagnostics.TypeMismatch, index.Span, "only register arrays can be indexed; use x[hi:lo] for bits");
                return Error();
            case SliceExpr slice:
                {
                    IrExpr operand = BindExpr(slice.Target, null);
                    if (!operand.Type.IsInt || operand.Type.IsLiteral || slice.High < slice.Low || slice.High >= operand.Type.Bits)
                    {
                        Report(Diagnostics.TypeMismatch, slice.Span, $"bits [{slice.High}:{slice.Low}] are not within a {operand.Type}");
                        return Error();
                    }

                    return new IrSlice(operand, slice.High, slice.Low);
                }

            case CallExpr call:
                return BindCall(call, expected);
            case UnaryExpr unary:
                return BindUnary(unary, expected);
            case BinaryExpr binary:
                return BindBinary(binary, expected);
            case ConditionalExpr conditional:
                {
                    IrExpr condition = RequireBool(BindExpr(conditional.Condition, IrType.Bool), conditional.Condition.Span);
                    IrExpr a = BindExpr(conditional.WhenTrue, expected);
                    IrExpr b = BindExpr(conditional.WhenFalse, expected);
                    (a, b) = Unify(a, b, "?:", conditional.Span, expected);
                    return new IrConditional(condition, a, b);
                }

            default:
                Report(Diagnostics.Syntax, expr.Span, "unsupported expression");
                return Error();
        }
    }

    private IrExpr BindNumber(NumberExpr n, IrType? expected)
    {
        if (n.Text.Contains("."))
        {
            if (!double.TryParse(n.Text, NumberStyles.Float, CultureInfo.InvariantCulture, out double d))
            {
                Report(Diagnostics.Syntax, n.Span, $"malformed number '{n.Text}'");
                return Error();
            }

            return new IrFloatConst(d, expected is { Kind: TypeKind.F32 } ? IrType.F32 : IrType.F64);
        }

        if (!Numbers.TryParse(n.Text, out ulong value))
        {
            Report(Diagnostics.Syntax, n.Span, $"malformed or too large number '{n.Text}'");
            return Error();
        }

        return new IrConst(value, IrType.Literal);
    }

    private IrExpr BindName(NameExpr n)
    {
        if (Lookup(n.Name) is { } local)
        {
            return new IrLocal(local);
        }

        switch (n.Name)
        {
            case "true": return new IrConst(1, IrType.Bool);
            case "false": return new IrConst(0, IrType.Bool);
            case "pc": return new IrPc(_isa.PcType);
        }

        if (_insn is not null && FindField(n.Name) is { } field)
        {
            if (_insn.BoundFields.TryGetValue(field.Name, out ulong bound))
            {
                return new IrConst(Truncate(bound, field.Type), field.Type);
            }

            if ((field.Mask & _insn.Mask) != 0)
            {
                Report(Diagnostics.EncodingShape, n.Span, $"field '{field.Name}' overlaps fixed bits of '{_insn.Name}'s encoding");
                return Error();
            }

            if (!_insn.Operands.Contains(field))
            {
                _insn.Operands.Add(field);
            }

            return new IrField(field);
        }

        if (FindRegister(n.Name) is { } reg)
        {
            if (reg.IsArray)
            {
                Report(Diagnostics.TypeMismatch, n.Span, $"'{reg.Name}' is a register array: write {reg.Name}[index]");
                return Error();
            }

            return new IrRegRead(reg, null);
        }

        if (FindField(n.Name) is not null)
        {
            Report(Diagnostics.UnknownName, n.Span, $"field '{n.Name}' is not available in a function; pass it as a parameter");
            return Error();
        }

        Report(Diagnostics.UnknownName, n.Span, $"unknown name '{n.Name}'");
        return Error();
    }

    private IrExpr BindIndex(RegisterModel reg, Expr index)
    {
        IrExpr i = BindExpr(index, null);
        if (i.Type.IsLiteral && i is IrConst c)
        {
            if (c.Value >= (ulong)reg.Count)
            {
                Report(Diagnostics.TypeMismatch, index.Span, $"index {c.Value} is outside {reg.Name}[{reg.Count}]");
            }

            return new IrConst(c.Value, IrType.U32);
        }

        if (!i.Type.IsInt)
        {
            Report(Diagnostics.TypeMismatch, index.Span, $"a register index must be an integer, not {i.Type}");
            return Error();
        }

        if (i.Type.Bits < 63 && (1UL << i.Type.Bits) > (ulong)reg.Count)
        {
            Report(Diagnostics.TypeMismatch, index.Span, $"a {i.Type} index can exceed {reg.Name}[{reg.Count}]: mask it or slice it to {Log2(reg.Count)} bits");
        }

        return i;
    }

    private IrExpr BindCall(CallExpr call, IrType? expected)
    {
        if (IrType.Parse(call.Name) is { } target)
        {
            if (call.Arguments.Count != 1)
            {
                Report(Diagnostics.TypeMismatch, call.Span, $"the conversion {call.Name}(...) takes one value");
                return Error();
            }

            IrExpr operand = BindExpr(call.Arguments[0], null);
            return Convert(operand, target, call.Span);
        }

        if (_functions.TryGetValue(call.Name, out FunctionModel? function))
        {
            if (call.Arguments.Count != function.Parameters.Count)
            {
                Report(Diagnostics.TypeMismatch, call.Span, $"'{function.Name}' takes {function.Parameters.Count} arguments, not {call.Arguments.Count}");
                return Error(function.ReturnType);
            }

            var args = new List<IrExpr>();
            for (int i = 0; i < call.Arguments.Count; i++)
            {
                IrType p = function.Parameters[i].Type;
                args.Add(Coerce(BindExpr(call.Arguments[i], p), p, call.Arguments[i].Span));
            }

            return new IrFuncCall(function, args);
        }

        if (Builtin.All.TryGetValue(call.Name, out Builtin? builtin))
        {
            return BindBuiltin(builtin, call);
        }

        Report(Diagnostics.UnknownName, call.Span, $"unknown function '{call.Name}'");
        return Error();
    }

    private IrExpr BindBuiltin(Builtin builtin, CallExpr call)
    {
        if (call.Arguments.Count != builtin.Parameters.Count)
        {
            Report(Diagnostics.TypeMismatch, call.Span, $"'{builtin.Name}' takes {builtin.Parameters.Count} arguments, not {call.Arguments.Count}");
            return Error();
        }

        var args = new List<IrExpr>();
        IrType? t = null, f = null;
        for (int i = 0; i < call.Arguments.Count; i++)
        {
            string kind = builtin.Parameters[i];
            Expr argument = call.Arguments[i];
            IrType? fixedType = kind switch
            {
                "addr" => _isa.PcType,
                "T" => t,
                "F" => f,
                _ => IrType.Parse(kind),
            };
            IrExpr arg = BindExpr(argument, fixedType);
            if (fixedType is { } ft)
            {
                arg = Coerce(arg, ft, argument.Span);
            }
            else if (kind == "T" || kind == "int")
            {
                if (!arg.Type.IsInt)
                {
                    Report(Diagnostics.TypeMismatch, argument.Span, $"'{builtin.Name}' needs an integer here, not {arg.Type}");
                }
                else if (arg.Type.IsLiteral)
                {
                    arg = Coerce(arg, _isa.PcType, argument.Span);
                }

                if (kind == "T")
                {
                    t = arg.Type;
                }
            }
            else if (kind == "F")
            {
                if (!arg.Type.IsFloat)
                {
                    Report(Diagnostics.TypeMismatch, argument.Span, $"'{builtin.Name}' needs an f32 or f64 here, not {arg.Type}");
                }

                if (arg is not IrFloatConst)
                {
                    f = arg.Type; // a literal (fdiv(1.0, x, rm)) takes the type of the other operands
                }
            }

            args.Add(arg);
        }

        for (int i = 0; i < args.Count; i++)
        {
            if (builtin.Parameters[i] == "F" && args[i] is IrFloatConst literal)
            {
                f ??= literal.Type;
                args[i] = new IrFloatConst(literal.Value, f.Value);
            }
        }

        IrType result = builtin.Result switch
        {
            "void" => IrType.Void,
            "T" => t ?? IrType.Error,
            "F" => f ?? IrType.Error,
            "bitsF" => f is { Kind: TypeKind.F32 } ? IrType.U32 : IrType.U64,
            string name => IrType.Parse(name) ?? IrType.Error,
        };
        return new IrBuiltinCall(builtin, args, result);
    }

    private IrExpr BindUnary(UnaryExpr unary, IrType? expected)
    {
        IrExpr operand = BindExpr(unary.Operand, unary.Operator == "!" ? IrType.Bool : expected);
        switch (unary.Operator)
        {
            case "!":
                return new IrUnary("!", RequireBool(operand, unary.Operand.Span));
            case "-" when operand is IrConst { Type.IsLiteral: true } c:
                return new IrConst(unchecked(0 - c.Value), IrType.Literal);
            case "~" when operand is IrConst { Type.IsLiteral: true } c:
                return new IrConst(~c.Value, IrType.Literal);
            case "-" when operand.Type.IsFloat:
                return new IrUnary("-", operand);
            default:
                if (!operand.Type.IsInt)
                {
                    Report(Diagnostics.TypeMismatch, unary.Span, $"'{unary.Operator}' needs an integer, not {operand.Type}");
                    return Error();
                }

                return new IrUnary(unary.Operator, operand);
        }
    }

    private IrExpr BindBinary(BinaryExpr binary, IrType? expected)
    {
        string op = binary.Operator;
        if (op is "&&" or "||")
        {
            IrExpr l = RequireBool(BindExpr(binary.Left, IrType.Bool), binary.Left.Span);
            IrExpr r = RequireBool(BindExpr(binary.Right, IrType.Bool), binary.Right.Span);
            return new IrBinary(op, l, r, IrType.Bool);
        }

        bool comparison = op is "==" or "!=" or "<" or "<=" or ">" or ">=";
        IrExpr left = BindExpr(binary.Left, comparison ? null : expected);
        IrExpr right = BindExpr(binary.Right, op is "<<" or ">>" ? null : comparison ? left.Type.IsLiteral ? null : left.Type : expected);

        if (op is "<<" or ">>")
        {
            if (!right.Type.IsInt)
            {
                Report(Diagnostics.TypeMismatch, binary.Right.Span, $"a shift amount must be an integer, not {right.Type}");
                return Error();
            }

            if (left is IrConst { Type.IsLiteral: true } lc && right is IrConst { Type.IsLiteral: true } rc)
            {
                return new IrConst(op == "<<" ? lc.Value << (int)rc.Value : lc.Value >> (int)rc.Value, IrType.Literal);
            }

            if (left.Type.IsLiteral)
            {
                left = Coerce(left, expected is { IsInt: true } e ? e : _isa.PcType, binary.Left.Span);
            }

            if (!left.Type.IsInt)
            {
                Report(Diagnostics.TypeMismatch, binary.Left.Span, $"only integers can be shifted, not {left.Type}");
                return Error();
            }

            if (right.Type.IsLiteral)
            {
                right = Coerce(right, IrType.U32, binary.Right.Span);
            }

            return new IrBinary(op, left, right, left.Type);
        }

        if (left is IrConst { Type.IsLiteral: true } a && right is IrConst { Type.IsLiteral: true } b && FoldLiteral(op, a.Value, b.Value) is { } folded)
        {
            return folded;
        }

        (left, right) = Unify(left, right, op, binary.Span, comparison ? null : expected);
        if (left.Type.Kind == TypeKind.Error)
        {
            return Error();
        }

        if (comparison)
        {
            if (left.Type.Kind == TypeKind.Bool && op is not ("==" or "!="))
            {
                Report(Diagnostics.TypeMismatch, binary.Span, $"'{op}' does not compare booleans");
            }

            return new IrBinary(op, left, right, IrType.Bool);
        }

        bool bitwise = op is "&" or "|" or "^";
        if (left.Type.Kind == TypeKind.Bool ? !bitwise : !left.Type.IsInt && !(left.Type.IsFloat && op is "+" or "-" or "*" or "/"))
        {
            Report(Diagnostics.TypeMismatch, binary.Span, $"'{op}' cannot be applied to {left.Type}");
            return Error();
        }

        if (left.Type.IsFloat)
        {
            Report(Diagnostics.TypeMismatch, binary.Span, $"floating-point '{op}' needs a rounding mode: use fadd/fsub/fmul/fdiv");
            return Error();
        }

        return new IrBinary(op, left, right, left.Type);
    }

    private static IrConst? FoldLiteral(string op, ulong a, ulong b)
    {
        ulong? value = op switch
        {
            "+" => unchecked(a + b),
            "-" => unchecked(a - b),
            "*" => unchecked(a * b),
            "&" => a & b,
            "|" => a | b,
            "^" => a ^ b,
            "/" when b != 0 => a / b,
            "%" when b != 0 => a % b,
            _ => null,
        };
        return value is { } v ? new IrConst(v, IrType.Literal) : null;
    }

    /// <summary>Brings two operands to one type by the widening rules, or reports why not.</summary>
    private (IrExpr, IrExpr) Unify(IrExpr a, IrExpr b, string op, SourceSpan span, IrType? expected)
    {
        if (a.Type.Kind == TypeKind.Error || b.Type.Kind == TypeKind.Error)
        {
            return (Error(), Error());
        }

        if (a.Type.IsLiteral && b.Type.IsLiteral)
        {
            IrType t = expected is { IsInt: true } e ? e : _isa.PcType;
            return (Coerce(a, t, span), Coerce(b, t, span));
        }

        if (a.Type.IsLiteral || a is IrFloatConst)
        {
            return (Coerce(a, b.Type, span), b);
        }

        if (b.Type.IsLiteral || b is IrFloatConst)
        {
            return (a, Coerce(b, a.Type, span));
        }

        if (a.Type == b.Type)
        {
            return (a, b);
        }

        if (a.Type.IsInt && b.Type.IsInt)
        {
            IrType? common = CommonType(a.Type, b.Type);
            if (common is { } c)
            {
                return (Convert(a, c, span), Convert(b, c, span));
            }
        }

        Report(Diagnostics.TypeMismatch, span, $"'{op}' mixes {a.Type} and {b.Type}: convert one side explicitly, e.g. {b.Type}(...)");
        return (Error(), Error());
    }

    private static IrType? CommonType(IrType a, IrType b)
    {
        if (a.Signed == b.Signed)
        {
            return a.Bits >= b.Bits ? a : b;
        }

        IrType signed = a.Signed ? a : b, unsigned = a.Signed ? b : a;
        return unsigned.Bits < signed.Bits ? signed : null;
    }

    /// <summary>An implicit conversion to <paramref name="target"/>: literals, and value-preserving integer widening.</summary>
    private IrExpr Coerce(IrExpr e, IrType target, SourceSpan span)
    {
        if (e.Type.Kind == TypeKind.Error || target.Kind == TypeKind.Error || e.Type == target)
        {
            return e.Type == target ? e : Error(target);
        }

        if (e is IrConst { Type.IsLiteral: true } c)
        {
            if (target.IsInt)
            {
                if (!FitsIn(c.Value, target))
                {
                    Report(Diagnostics.TypeMismatch, span, $"the constant 0x{c.Value:x} does not fit in {target}");
                }

                return new IrConst(Truncate(c.Value, target), target);
            }

            if (target.IsFloat)
            {
                return new IrFloatConst((long)c.Value, target);
            }
        }

        if (e is IrFloatConst f && target.IsFloat)
        {
            return new IrFloatConst(f.Value, target);
        }

        if (e.Type.IsInt && target.IsInt && CommonType(e.Type, target) == target)
        {
            return new IrConvert(e, target);
        }

        Report(Diagnostics.TypeMismatch, span, $"cannot use {e.Type} as {target} implicitly: write {target}(...)");
        return Error(target);
    }

    /// <summary>An explicit conversion <c>u32(x)</c>: any integer to any integer (truncating or extending by the source's signedness).</summary>
    private IrExpr Convert(IrExpr e, IrType target, SourceSpan span)
    {
        if (e.Type.Kind == TypeKind.Error)
        {
            return Error(target);
        }

        if (e is IrConst { Type.IsLiteral: true } c && target.IsInt)
        {
            return new IrConst(Truncate(c.Value, target), target);
        }

        if (e.Type.Kind == TypeKind.Bool && target.IsInt)
        {
            return new IrConditional(e, new IrConst(1, target), new IrConst(0, target));
        }

        if (!e.Type.IsInt || !target.IsInt)
        {
            Report(Diagnostics.TypeMismatch, span, $"cannot convert {e.Type} to {target}; floating-point conversions are builtins (f_to_s32, int_to_f64, bits ...)");
            return Error(target);
        }

        return e.Type == target ? e : new IrConvert(e, target);
    }

    private IrExpr ToUnsigned64(IrExpr e, SourceSpan span) => e.Type.IsInt ? Convert(e, IrType.U64, span) : Coerce(e, IrType.U64, span);

    private IrExpr RequireBool(IrExpr e, SourceSpan span)
    {
        if (e.Type.Kind is TypeKind.Bool or TypeKind.Error)
        {
            return e;
        }

        Report(Diagnostics.TypeMismatch, span, $"a condition must be bool, not {e.Type}: compare it, e.g. x != 0");
        return Error(IrType.Bool);
    }

    private IrType? ResolveType(TypeRef type)
    {
        if (IrType.Parse(type.Name) is { } t)
        {
            return t;
        }

        Report(Diagnostics.UnknownName, type.Span, $"unknown type '{type.Name}' (expected u1..u64, s1..s64, bool, f32 or f64)");
        return null;
    }

    public static bool FitsIn(ulong value, IrType type)
    {
        if (type.Bits >= 64)
        {
            return true;
        }

        ulong limit = 1UL << type.Bits;
        long signedValue = unchecked((long)value);
        return value < limit || (signedValue < 0 && signedValue >= -(long)(limit >> 1));
    }

    public static ulong Truncate(ulong value, IrType type) => value & Bits.Mask(type.Bits);

    private static int Log2(int n)
    {
        int bits = 0;
        while ((1 << bits) < n)
        {
            bits++;
        }

        return bits;
    }

    private Local? Lookup(string name)
    {
        for (int i = _scopes.Count - 1; i >= 0; i--)
        {
            if (_scopes[i].TryGetValue(name, out Local? local))
            {
                return local;
            }
        }

        return null;
    }

    private RegisterModel? FindRegister(string name) => _isa.Registers.FirstOrDefault(r => r.Name == name);

    private FieldModel? FindField(string name) => _isa.Fields.FirstOrDefault(f => f.Name == name);

    /// <summary>Not a local, register, field or the PC: <c>fpr[rd]</c> with no <c>fpr</c> is an unknown register.</summary>
    private bool IsUnknown(string name) => Lookup(name) is null && FindRegister(name) is null && FindField(name) is null && name is not ("pc" or "true" or "false");

    private static IrExpr Error(IrType? type = null) => new IrConst(0, type ?? IrType.Error);

    private void Report(Microsoft.CodeAnalysis.DiagnosticDescriptor descriptor, SourceSpan span, string message)
        => _diagnostics.Add(descriptor.At(span, message));
}
