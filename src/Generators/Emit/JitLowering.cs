using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Isa.Generators.Model;
using Isa.Generators.Semantics;

namespace Isa.Generators.Emit;

/// <summary>
/// Renders the semantics IR as C# that drives an <c>IJitEmitter</c>: each expression becomes a call
/// that returns a <c>JitValue</c>, each statement a call or structured control flow. The emitter folds
/// constants (fields are constants at translation time), so the rendering stays a plain walk.
/// Floating-point values are their IEEE bit patterns (u32, u64): the bit builtins are free, and the
/// rounded operations become the emitter's FloatArithmetic, FloatCompare and conversions. Constructs
/// without a lowering (fma, f_to_u64): <see cref="Supports"/> says no, and the execution host
/// interprets those instructions.
/// </summary>
internal sealed class JitLowering
{
    public const string Emitter = "jit";

    /// <summary>The builtins this lowering renders; semantics using any other run on the interpreter.</summary>
    private static readonly HashSet<string> Lowered = new()
    {
        "load8", "load16", "load32", "load64", "store8", "store16", "store32", "store64", "cas32", "jump",
        "nullify_delay_slot", "big_endian", "clz", "ctz", "popcount", "bitrev", "byteswap", "rotr", "rotl",
        "f32_from_bits", "f64_from_bits", "bits", "fadd", "fsub", "fmul", "fdiv", "fsqrt", "fabs", "fneg",
        "is_nan", "is_snan", "f_eq", "f_lt", "f_le", "f32_to_f64", "f64_to_f32", "int_to_f32", "int_to_f64",
        "f_to_s32", "f_to_u32", "f_to_s64", "fp_flags", "fp_raise", "fp_clear",
    };

    /// <summary>Builtins without side effects or exits: both sides of a conditional using them can be computed.</summary>
    private static readonly HashSet<string> Pure = new()
    {
        "f32_from_bits", "f64_from_bits", "bits", "fabs", "fneg", "is_nan", "is_snan", "f_eq", "f_lt", "f_le", "big_endian",
    };
    private readonly IsaModel _isa;
    private readonly HashSet<Local> _mutable;
    private readonly string? _returnVariable;
    private readonly string _endLabel;
    private int _temp;

    private JitLowering(IsaModel isa, IEnumerable<IrStmt> body, string? returnVariable, string endLabel)
    {
        _isa = isa;
        _mutable = new HashSet<Local>(Assigned(body));
        _returnVariable = returnVariable;
        _endLabel = endLabel;
    }

    /// <summary>True if every construct of the semantics, and of the functions it calls, has a JIT lowering.</summary>
    public static bool Supports(IReadOnlyList<IrStmt> body) => body.All(s => Supports(s, new HashSet<FunctionModel>()));

    /// <summary>The body of an instruction's emitter method.</summary>
    public static void Instruction(CodeWriter w, IsaModel isa, InsnModel insn)
    {
        bool returns = ContainsReturn(insn.Body);
        var lowering = new JitLowering(isa, insn.Body, null, "end");
        if (insn.Flags.Contains("FloatingPoint"))
        {
            // As the interpreter starts each floating-point instruction with no exception flags.
            w.Line($"{Emitter}.ClearFloatFlags();");
        }

        if (returns)
        {
            w.Line($"JitLabel end = {Emitter}.NewLabel();");
        }

        lowering.Statements(w, insn.Body);
        if (returns)
        {
            w.Line($"{Emitter}.Bind(end);");
        }
    }

    /// <summary>
    /// The body of a spec function's emitter method (parameters are JitValues, the result a JitValue).
    /// Its lets and variables live in a scope: the registers they hold come back when it returns.
    /// </summary>
    public static void Function(CodeWriter w, IsaModel isa, FunctionModel f)
    {
        w.Line($"JitScope jitScope = {Emitter}.BeginScope();");
        foreach (Local p in f.Parameters)
        {
            w.Line($"{p.CSharpName} = {Emitter}.Let({p.CSharpName});");
        }

        bool hasValue = f.ReturnType.Kind != TypeKind.Void;
        string End(string result) => hasValue ? $"return {Emitter}.EndScope(jitScope, {result});" : $"{Emitter}.EndScope(jitScope, default);";
        IReadOnlyList<IrStmt> body = f.Body;
        bool tailOnly = body.Count > 0 && body[body.Count - 1] is IrReturn && !ContainsReturn(body.Take(body.Count - 1));
        if (tailOnly || !ContainsReturn(body))
        {
            var lowering = new JitLowering(isa, body, null, "end");
            lowering.Statements(w, tailOnly ? body.Take(body.Count - 1) : body);
            if (tailOnly && body[body.Count - 1] is IrReturn { Value: { } value })
            {
                w.Line(End(lowering.Expr(value)));
            }
            else
            {
                w.Line(End($"{Emitter}.Constant(0, {Type(f.ReturnType)})"));
            }

            return;
        }

        if (hasValue)
        {
            w.Line($"JitVariable result = {Emitter}.NewVariable({Type(f.ReturnType)});");
        }

        w.Line($"JitLabel end = {Emitter}.NewLabel();");
        new JitLowering(isa, body, hasValue ? "result" : null, "end").Statements(w, body);
        w.Line($"{Emitter}.Bind(end);");
        w.Line(End($"{Emitter}.Read(result)"));
    }

    private void Statements(CodeWriter w, IEnumerable<IrStmt> statements)
    {
        foreach (IrStmt s in statements)
        {
            Statement(w, s);
        }
    }

    private void Statement(CodeWriter w, IrStmt stmt)
    {
        switch (stmt)
        {
            case IrLet let when _mutable.Contains(let.Local):
                w.Line($"JitVariable {let.Local.CSharpName} = {Emitter}.NewVariable({Type(let.Local.Type)});");
                w.Line($"{Emitter}.Assign({let.Local.CSharpName}, {Expr(let.Value)});");
                break;
            case IrLet let:
                w.Line($"JitValue {let.Local.CSharpName} = {Emitter}.Let({Expr(let.Value)});");
                break;
            case IrAssignLocal assign:
                w.Line($"{Emitter}.Assign({assign.Local.CSharpName}, {Expr(assign.Value)});");
                break;
            case IrRegWrite write:
                RegisterWrite(w, write);
                break;
            case IrIf { Then.Count: 1, Else.Count: 0 } f when f.Then[0] is IrRaise raise:
                w.Line($"{Emitter}.RaiseIf({Expr(f.Condition)}, TrapKind.{raise.Kind.RuntimeName}, {(raise.Value is null ? $"{Emitter}.Constant(0, JitType.U32)" : Expr(raise.Value))});");
                break;
            case IrIf { Condition: IrConst { Value: 1 }, Else.Count: 0 } block:
                Statements(w, block.Then);
                break;
            case IrIf f:
                w.Open($"{Emitter}.If({Expr(f.Condition)});");
                Statements(w, f.Then);
                w.Close();
                if (f.Else.Count > 0)
                {
                    w.Open($"{Emitter}.Else();");
                    Statements(w, f.Else);
                    w.Close();
                }

                w.Line($"{Emitter}.EndIf();");
                break;
            case IrEffect effect:
                w.Line(Expr(effect.Call) + ";");
                break;
            case IrRaise raise:
                w.Line($"{Emitter}.Raise(TrapKind.{raise.Kind.RuntimeName}, {(raise.Value is null ? $"{Emitter}.Constant(0, JitType.U32)" : Expr(raise.Value))});");
                break;
            case IrReturn ret:
                if (ret.Value is not null && _returnVariable is not null)
                {
                    w.Line($"{Emitter}.Assign({_returnVariable}, {Expr(ret.Value)});");
                }

                w.Line($"{Emitter}.Goto({_endLabel});");
                break;
        }
    }

    private void RegisterWrite(CodeWriter w, IrRegWrite write)
    {
        RegisterModel reg = write.Register;
        int file = RegisterFile(reg);
        string index = write.Index is null ? $"{Emitter}.Constant(0, JitType.U32)" : Expr(write.Index);
        if (reg.Hardwired.Count == 0)
        {
            w.Line($"{Emitter}.WriteRegister({file}, {index}, {Expr(write.Value)});");
            return;
        }

        // A write to a hardwired element still evaluates its value (it may load or trap), then drops it.
        int n = _temp++;
        w.Line($"JitValue index{n} = {index}, value{n} = {Expr(write.Value)};");
        string guard = string.Join(" && ", reg.Hardwired.Select(h => $"index{n}.Constant != {h}"));
        w.Line($"if (!index{n}.IsConstant || ({guard})) {Emitter}.WriteRegister({file}, index{n}, value{n});");
    }

    private int RegisterFile(RegisterModel reg)
    {
        for (int i = 0; i < _isa.Registers.Count; i++)
        {
            if (_isa.Registers[i] == reg)
            {
                return i;
            }
        }

        return -1;
    }

    private string Expr(IrExpr e)
    {
        switch (e)
        {
            case IrConst c:
                return Constant($"0x{c.Value:X}UL", c.Type);
            case IrFloatConst f:
                return Constant($"0x{FloatBits(f):X}UL", f.Type);
            case IrField f:
                return Constant($"unchecked((ulong){f.Field.Name})", f.Type);
            case IrLocal l when _mutable.Contains(l.Local):
                return $"{Emitter}.Read({l.Local.CSharpName})";
            case IrLocal l:
                return l.Local.CSharpName;
            case IrPc:
                return Constant("pc", e.Type);
            case IrRegRead r:
                return $"{Emitter}.ReadRegister({RegisterFile(r.Register)}, {(r.Index is null ? $"{Emitter}.Constant(0, JitType.U32)" : Expr(r.Index))})";
            case IrUnary u:
                string op = u.Operator switch { "!" => "LogicalNot", "-" => "Negate", _ => "Not" };
                return $"{Emitter}.Unary(JitUnary.{op}, {Expr(u.Operand)}, {Type(u.Type)})";
            case IrBinary { Operator: "||", Left: IrBuiltinCall { Builtin.Name: "is_nan" } l, Right: IrBuiltinCall { Builtin.Name: "is_nan" } r } when IsPure(r)
                && l.Arguments[0].Type == r.Arguments[0].Type:
                // One unordered comparison tells if either is a NaN.
                return $"{Emitter}.FloatCompare(JitFloatCompare.Unordered, {Format(l.Arguments[0].Type)}, {Expr(l.Arguments[0])}, {Expr(r.Arguments[0])})";
            case IrBinary { Operator: "&&" } b when !IsPure(b.Right):
                // Short-circuit: the right side may store (cas32) or trap.
                return Conditional(Expr(b.Left), "JitType.Bool", Expr(b.Right), $"{Emitter}.Constant(0, JitType.Bool)");
            case IrBinary { Operator: "||" } b when !IsPure(b.Right):
                return Conditional(Expr(b.Left), "JitType.Bool", $"{Emitter}.Constant(1, JitType.Bool)", Expr(b.Right));
            case IrBinary b:
                return $"{Emitter}.Binary(JitBinary.{BinaryName(b.Operator)}, {Expr(b.Left)}, {Expr(b.Right)}, {Type(b.Type)})";
            case IrConvert c:
                return $"{Emitter}.Convert({Expr(c.Operand)}, {Type(c.Type)})";
            case IrConditional c when IsPure(c.WhenTrue) && IsPure(c.WhenFalse):
                return $"{Emitter}.Select({Expr(c.Condition)}, {Expr(c.WhenTrue)}, {Expr(c.WhenFalse)})";
            case IrConditional c:
                return Conditional(Expr(c.Condition), Type(c.Type), Expr(c.WhenTrue), Expr(c.WhenFalse));
            case IrSlice s:
                return $"{Emitter}.Slice({Expr(s.Operand)}, {s.High}, {s.Low})";
            case IrBuiltinCall call:
                return Builtin(call);
            case IrFuncCall call:
                return $"Jit{call.Function.CSharpName}({Emitter}, pc{string.Concat(call.Arguments.Select(a => ", " + Expr(a)))})";
            default:
                return $"throw new JitUnsupportedException(\"{e.GetType().Name}\")";
        }
    }

    private string Builtin(IrBuiltinCall call)
    {
        IReadOnlyList<IrExpr> a = call.Arguments;
        string name = call.Builtin.Name;
        switch (name)
        {
            case "load8" or "load16" or "load32" or "load64":
                return $"{Emitter}.Load({int.Parse(name.Substring(4), CultureInfo.InvariantCulture) / 8}, {Expr(a[0])})";
            case "store8" or "store16" or "store32" or "store64":
                return $"{Emitter}.Store({int.Parse(name.Substring(5), CultureInfo.InvariantCulture) / 8}, {Expr(a[0])}, {Expr(a[1])})";
            case "jump":
                return $"{Emitter}.Jump({Expr(a[0])})";
            case "cas32":
                return $"{Emitter}.CompareAndSwap(4, {Expr(a[0])}, {Expr(a[1])}, {Expr(a[2])})";
            case "nullify_delay_slot":
                return $"{Emitter}.NullifyDelaySlot()";
            case "big_endian":
                return $"{Emitter}.Constant({Emitter}.BigEndian ? 1UL : 0UL, JitType.Bool)";
            case "rotr" or "rotl":
                return $"{Emitter}.Intrinsic(JitIntrinsic.{(name == "rotr" ? "RotateRight" : "RotateLeft")}, {Expr(a[0])}, {Expr(a[1])}, {Type(call.Type)})";
            case "clz" or "ctz" or "popcount" or "bitrev" or "byteswap":
                string intrinsic = name switch
                {
                    "clz" => "LeadingZeros",
                    "ctz" => "TrailingZeros",
                    "popcount" => "PopCount",
                    "bitrev" => "BitReverse",
                    _ => "ByteSwap",
                };
                return $"{Emitter}.Intrinsic(JitIntrinsic.{intrinsic}, {Expr(a[0])}, {Emitter}.Constant(0, JitType.U32), {Type(call.Type)})";
            case "f32_from_bits" or "f64_from_bits" or "bits":
                return Expr(a[0]);
            case "fadd" or "fsub" or "fmul" or "fdiv":
                {
                    string op = name switch { "fadd" => "Add", "fsub" => "Sub", "fmul" => "Mul", _ => "Div" };
                    return $"{Emitter}.FloatArithmetic(JitFloatOp.{op}, {Format(a[0].Type)}, {Expr(a[0])}, {Expr(a[1])}, {Expr(a[2])})";
                }

            case "fsqrt":
                return $"{Emitter}.FloatArithmetic(JitFloatOp.Sqrt, {Format(a[0].Type)}, {Expr(a[0])}, {Emitter}.Constant(0, {Type(a[0].Type)}), {Expr(a[1])})";
            case "fabs" or "fneg":
                {
                    // Sign-bit operations: no flags, NaNs pass unchanged.
                    ulong sign = a[0].Type.Kind == TypeKind.F64 ? 0x8000000000000000UL : 0x80000000UL;
                    return name == "fabs"
                        ? $"{Emitter}.Binary(JitBinary.And, {Expr(a[0])}, {Emitter}.Constant(0x{sign - 1:X}UL, {Type(a[0].Type)}), {Type(a[0].Type)})"
                        : $"{Emitter}.Binary(JitBinary.Xor, {Expr(a[0])}, {Emitter}.Constant(0x{sign:X}UL, {Type(a[0].Type)}), {Type(a[0].Type)})";
                }

            case "is_nan":
                return $"JitFloat.IsNaN({Emitter}, {Format(a[0].Type)}, {Expr(a[0])})";
            case "is_snan":
                return $"JitFloat.IsSignalingNaN({Emitter}, {Format(a[0].Type)}, {Expr(a[0])}, {(_isa.LegacyMipsNaN ? "true" : "false")})";
            case "f_eq" or "f_lt" or "f_le":
                {
                    string op = name switch { "f_eq" => "Equal", "f_lt" => "Less", _ => "LessOrEqual" };
                    return $"{Emitter}.FloatCompare(JitFloatCompare.{op}, {Format(a[0].Type)}, {Expr(a[0])}, {Expr(a[1])})";
                }

            case "f32_to_f64":
                return $"{Emitter}.FloatToFloat({Expr(a[0])}, JitFloatFormat.Double, {Emitter}.Constant(0, JitType.U32))";
            case "f64_to_f32":
                return $"{Emitter}.FloatToFloat({Expr(a[0])}, JitFloatFormat.Single, {Expr(a[1])})";
            case "int_to_f32" or "int_to_f64":
                return $"{Emitter}.IntegerToFloat({Expr(a[0])}, {Format(call.Type)}, {Expr(a[1])})";
            case "f_to_s32" or "f_to_u32" or "f_to_s64":
                return $"{Emitter}.FloatToInteger({Expr(a[0])}, {Format(a[0].Type)}, {Type(call.Type)}, {Expr(a[1])})";
            case "fp_flags":
                return $"{Emitter}.FloatFlags()";
            case "fp_raise":
                return $"{Emitter}.RaiseFloatFlags({Expr(a[0])})";
            case "fp_clear":
                return $"{Emitter}.ClearFloatFlags()";
            default:
                return $"throw new JitUnsupportedException(\"builtin {name}\")";
        }
    }

    private static string Format(IrType t) => t.Kind == TypeKind.F64 ? "JitFloatFormat.Double" : "JitFloatFormat.Single";

    private static ulong FloatBits(IrFloatConst f) => f.Type.Kind == TypeKind.F32
        ? System.BitConverter.ToUInt32(System.BitConverter.GetBytes((float)f.Value), 0)
        : unchecked((ulong)System.BitConverter.DoubleToInt64Bits(f.Value));

    private static string Constant(string value, IrType t) => $"{Emitter}.Constant({value}, {Type(t)})";

    /// <summary>
    /// A conditional expression whose sides may load or trap: three nested calls that emit each side
    /// between them (arguments run left to right), so no delegate or closure is allocated per use.
    /// </summary>
    private static string Conditional(string condition, string type, string whenTrue, string whenFalse)
        => $"JitControl.EndConditional({Emitter}, JitControl.ElseConditional({Emitter}, JitControl.BeginConditional({Emitter}, {condition}, {type}), {whenTrue}), {whenFalse})";

    public static string Type(IrType t)
    {
        switch (t.Kind)
        {
            case TypeKind.Bool:
                return "JitType.Bool";
            case TypeKind.F32:
                return "JitType.U32";
            case TypeKind.F64:
                return "JitType.U64";
        }

        return (t.Bits, t.Signed) switch
        {
            (8, false) => "JitType.U8",
            (16, false) => "JitType.U16",
            (32, false) => "JitType.U32",
            (32, true) => "JitType.S32",
            (64, false) => "JitType.U64",
            (64, true) => "JitType.S64",
            _ => $"new JitType({t.Bits}, {(t.Signed ? "true" : "false")})",
        };
    }

    private static string BinaryName(string op) => op switch
    {
        "+" => "Add",
        "-" => "Sub",
        "*" => "Mul",
        "/" => "Div",
        "%" => "Rem",
        "&" => "And",
        "|" => "Or",
        "^" => "Xor",
        "<<" => "Shl",
        ">>" => "Shr",
        "==" => "Eq",
        "!=" => "Ne",
        "<" => "Lt",
        "<=" => "Le",
        ">" => "Gt",
        ">=" => "Ge",
        "&&" => "LogicalAnd",
        _ => "LogicalOr",
    };

    /// <summary>
    /// Expressions without loads, effects or exits: both sides of a conditional can then be computed.
    /// A call is pure when its function only returns a pure expression (a register read, say).
    /// </summary>
    private static bool IsPure(IrExpr e) => IsPure(e, 0);

    private static bool IsPure(IrExpr e, int depth) => e switch
    {
        IrBuiltinCall call => Pure.Contains(call.Builtin.Name) && call.Arguments.All(a => IsPure(a, depth)),
        IrFuncCall call => depth < 8 && call.Function.Body.Count == 1 && call.Function.Body[0] is IrReturn { Value: { } value } && IsPure(value, depth + 1) && call.Arguments.All(a => IsPure(a, depth)),
        IrUnary u => IsPure(u.Operand, depth),
        IrBinary b => IsPure(b.Left, depth) && IsPure(b.Right, depth) && b.Operator is not ("/" or "%"),
        IrConvert c => IsPure(c.Operand, depth),
        IrSlice s => IsPure(s.Operand, depth),
        IrConditional c => IsPure(c.Condition, depth) && IsPure(c.WhenTrue, depth) && IsPure(c.WhenFalse, depth),
        IrRegRead r => r.Index is null || IsPure(r.Index, depth),
        _ => true,
    };

    private static IEnumerable<Local> Assigned(IEnumerable<IrStmt> statements)
    {
        foreach (IrStmt s in statements)
        {
            switch (s)
            {
                case IrAssignLocal a:
                    yield return a.Local;
                    break;
                case IrIf f:
                    foreach (Local l in Assigned(f.Then).Concat(Assigned(f.Else)))
                    {
                        yield return l;
                    }

                    break;
            }
        }
    }

    private static bool ContainsReturn(IEnumerable<IrStmt> statements) => statements.Any(s => s switch
    {
        IrReturn => true,
        IrIf f => ContainsReturn(f.Then) || ContainsReturn(f.Else),
        _ => false,
    });

    private static bool Supports(IrStmt s, HashSet<FunctionModel> seen) => s switch
    {
        IrLet l => Supports(l.Local.Type) && Supports(l.Value, seen),
        IrAssignLocal a => Supports(a.Value, seen),
        IrRegWrite w => Supports(w.Register.Type) && (w.Index is null || Supports(w.Index, seen)) && Supports(w.Value, seen),
        IrIf f => Supports(f.Condition, seen) && f.Then.All(t => Supports(t, seen)) && f.Else.All(t => Supports(t, seen)),
        IrEffect e => Supports(e.Call, seen),
        IrRaise r => r.Value is null || Supports(r.Value, seen),
        IrReturn r => r.Value is null || Supports(r.Value, seen),
        _ => false,
    };

    public static bool Supports(IrType t) => t.Kind is TypeKind.Int or TypeKind.Bool or TypeKind.Void or TypeKind.F32 or TypeKind.F64;

    private static bool Supports(IrExpr e, HashSet<FunctionModel> seen)
    {
        if (!Supports(e.Type))
        {
            return false;
        }

        switch (e)
        {
            case IrRegRead r:
                return Supports(r.Register.Type) && (r.Index is null || Supports(r.Index, seen));
            case IrUnary u:
                // Operators on floats (as opposed to builtins) are not lowered: they would see bit patterns.
                return !u.Operand.Type.IsFloat && !u.Type.IsFloat && Supports(u.Operand, seen);
            case IrBinary b:
                return !b.Left.Type.IsFloat && !b.Right.Type.IsFloat && Supports(b.Left, seen) && Supports(b.Right, seen);
            case IrConvert c:
                return !c.Operand.Type.IsFloat && !c.Type.IsFloat && Supports(c.Operand, seen);
            case IrSlice s when s.Operand.Type.IsFloat:
                return false;
            case IrConditional c:
                return Supports(c.Condition, seen) && Supports(c.WhenTrue, seen) && Supports(c.WhenFalse, seen);
            case IrSlice s:
                return Supports(s.Operand, seen);
            case IrBuiltinCall call:
                return Lowered.Contains(call.Builtin.Name) && call.Arguments.All(a => Supports(a, seen));
            case IrFuncCall call:
                if (!call.Arguments.All(a => Supports(a, seen)))
                {
                    return false;
                }

                if (!seen.Add(call.Function))
                {
                    return true;
                }

                return call.Function.Parameters.All(p => Supports(p.Type)) && call.Function.Body.All(s => Supports(s, seen));
            default:
                return true;
        }
    }
}
