using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using Isa.Generators.Model;
using Isa.Generators.Semantics;

namespace Isa.Generators.Emit;

/// <summary>
/// Renders the semantics IR as C# for the generated interpreter. Integers narrower than their C#
/// representation (a u5 in a uint) are kept normalized after every operation that could carry out.
/// Handlers return a TrapKind; traps raised inside spec functions throw GuestTrapException.
/// </summary>
internal sealed class CSharpLowering
{
    private readonly IsaModel _isa;
    private readonly bool _inFunction;
    private int _temp;

    public CSharpLowering(IsaModel isa, bool inFunction)
    {
        _isa = isa;
        _inFunction = inFunction;
    }

    private int InsnBytes => _isa.InsnBits / 8;

    public void Statements(CodeWriter w, IEnumerable<IrStmt> statements)
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
            case IrLet let:
                w.Line($"{let.Local.Type.CSharp} {let.Local.CSharpName} = {Expr(let.Value)};");
                break;
            case IrAssignLocal assign:
                w.Line($"{assign.Local.CSharpName} = {Expr(assign.Value)};");
                break;
            case IrRegWrite write:
                RegisterWrite(w, write);
                break;
            case IrIf { Condition: IrConst { Value: 1 }, Else.Count: 0 } block:
                w.Open("");
                Statements(w, block.Then);
                w.Close();
                break;
            case IrIf f:
                w.Open($"if ({Strip(Expr(f.Condition))})");
                Statements(w, f.Then);
                w.Close();
                if (f.Else.Count > 0)
                {
                    w.Open("else");
                    Statements(w, f.Else);
                    w.Close();
                }

                break;
            case IrEffect effect:
                w.Line(Expr(effect.Call) + ";");
                break;
            case IrRaise raise:
                {
                    string value = raise.Value is null ? "0" : Expr(raise.Value);
                    if (_inFunction)
                    {
                        w.Line($"throw new GuestTrapException(TrapKind.{raise.Kind.RuntimeName}, {value});");
                    }
                    else
                    {
                        w.Line($"_trapValue = {value};");
                        w.Line($"return TrapKind.{raise.Kind.RuntimeName};");
                    }

                    break;
                }

            case IrReturn ret:
                w.Line(_inFunction ? (ret.Value is null ? "return;" : $"return {Strip(Expr(ret.Value))};") : "return TrapKind.None;");
                break;
        }
    }

    private void RegisterWrite(CodeWriter w, IrRegWrite write)
    {
        RegisterModel reg = write.Register;
        string value = Strip(Expr(write.Value));
        if (write.Index is null)
        {
            w.Line($"s.{reg.CSharpName} = {value};");
            return;
        }

        if (write.Index is IrConst c)
        {
            if (reg.Hardwired.Contains((int)c.Value))
            {
                w.Line($"_ = {value}; // {reg.Name}[{c.Value}] is hardwired");
            }
            else
            {
                w.Line($"s.{reg.CSharpName}[{c.Value}] = {value};");
            }

            return;
        }

        string index = Expr(write.Index);
        if (reg.Hardwired.Count == 0)
        {
            w.Line($"s.{reg.CSharpName}[(int){index}] = {value};");
            return;
        }

        string temp = $"value{_temp++}";
        string guard = string.Join(" && ", reg.Hardwired.Select(h => $"{index} != {h}"));
        w.Line($"{reg.Type.CSharp} {temp} = {value};");
        w.Line($"if ({guard}) s.{reg.CSharpName}[(int){index}] = {temp};");
    }

    /// <summary>C# for an expression, parenthesized unless atomic.</summary>
    public string Expr(IrExpr e)
    {
        switch (e)
        {
            case IrConst c:
                return Constant(c.Value, c.Type);
            case IrFloatConst f:
                return FloatConstant(f.Value, f.Type);
            case IrField f:
                return f.Field.Name;
            case IrLocal l:
                return l.Local.CSharpName;
            case IrPc:
                return "pc";
            case IrRegRead r when r.Index is null:
                return $"s.{r.Register.CSharpName}";
            case IrRegRead r:
                return $"s.{r.Register.CSharpName}[{(r.Index is IrConst ic ? ic.Value.ToString(CultureInfo.InvariantCulture) : "(int)" + Expr(r.Index!))}]";
            case IrUnary u:
                return Unary(u);
            case IrBinary b:
                return Binary(b);
            case IrConvert { Operand: IrConst c }:
                return Constant(ConvertConstant(c.Value, c.Type, e.Type), e.Type);
            case IrConvert c:
                return Normalize($"({c.Type.CSharp}){Expr(c.Operand)}", c.Type);
            case IrConditional c:
                return $"({Expr(c.Condition)} ? {Strip(Expr(c.WhenTrue))} : {Strip(Expr(c.WhenFalse))})";
            case IrSlice s:
                {
                    // Bits of a signed value are taken from its unsigned form: C# has no long & ulong.
                    string operand = Unsigned(s.Operand);
                    string shifted = s.Low == 0 ? operand : $"({operand} >> {s.Low})";
                    return $"({s.Type.CSharp})({shifted} & {Hex(Bits.Mask(s.High - s.Low + 1), IrType.UInt(s.Operand.Type.RepBits))})";
                }

            case IrBuiltinCall call:
                return Builtin(call);
            case IrFuncCall call:
                return $"{call.Function.CSharpName}(ref s, pc{string.Concat(call.Arguments.Select(a => ", " + Strip(Expr(a))))})";
            default:
                return "default";
        }
    }

    private string Unary(IrUnary u)
    {
        string x = Expr(u.Operand);
        return u.Operator switch
        {
            "!" => $"!{x}",
            "-" when u.Type.IsFloat => $"(-{x})",
            "-" => Arithmetic($"{Constant(0, u.Type)} - {x}", u.Type),
            _ => Normalize($"({u.Type.CSharp})~{x}", u.Type),
        };
    }

    private string Binary(IrBinary b)
    {
        string l = Expr(b.Left), r = Expr(b.Right);
        IrType t = b.Left.Type;
        switch (b.Operator)
        {
            case "/":
                return $"GuestArithmetic.Divide({Strip(l)}, {Strip(r)})";
            case "%":
                return $"GuestArithmetic.Remainder({Strip(l)}, {Strip(r)})";
            case "<<" or ">>":
                {
                    string amount = b.Right is IrConst c ? c.Value.ToString(CultureInfo.InvariantCulture) : $"(int){r}";
                    return Arithmetic($"{l} {b.Operator} {amount}", t);
                }

            case "+" or "-" or "*":
                return Arithmetic($"{l} {b.Operator} {r}", t);
            default:
                return $"({l} {b.Operator} {r})";
        }
    }

    private string Builtin(IrBuiltinCall call)
    {
        IReadOnlyList<IrExpr> a = call.Arguments;
        string Arg(int i) => Strip(Expr(a[i]));
        IrType t = a.Count > 0 ? a[0].Type : IrType.Void;
        string rm = a.Count > 0 ? $"(RoundingMode){Expr(a[a.Count - 1])}" : "";
        switch (call.Builtin.Name)
        {
            case "load8": return $"(uint)_memory.Read8({Arg(0)})";
            case "load16": return $"(uint)TOrder.Convert16(_memory.Read16({Arg(0)}))";
            case "load32": return $"TOrder.Convert32(_memory.Read32({Arg(0)}))";
            case "load64": return $"TOrder.Convert64(_memory.Read64({Arg(0)}))";
            case "store8": return $"_memory.Write8({Arg(0)}, (byte){Expr(a[1])})";
            case "store16": return $"_memory.Write16({Arg(0)}, TOrder.Convert16((ushort){Expr(a[1])}))";
            case "store32": return $"_memory.Write32({Arg(0)}, TOrder.Convert32((uint){Expr(a[1])}))";
            case "store64": return $"_memory.Write64({Arg(0)}, TOrder.Convert64((ulong){Expr(a[1])}))";
            case "cas32": return $"_memory.CompareExchange32({Arg(0)}, TOrder.Convert32({Arg(1)}), TOrder.Convert32({Arg(2)}))";
            case "jump" when _isa.DelaySlot: return $"s.NextPc = {Arg(0)}";
            case "jump": return $"s.NextPc = (s.Pc = {Arg(0)}) + {InsnBytes}";
            case "nullify_delay_slot": return $"s.NextPc = (s.Pc = s.NextPc) + {InsnBytes}";
            case "big_endian": return "(TOrder.Endianness == Endianness.Big)";
            case "clz": return $"GuestBits.LeadingZeros({Unsigned(a[0])}, {t.Bits})";
            case "ctz": return $"GuestBits.TrailingZeros({Unsigned(a[0])}, {t.Bits})";
            case "popcount": return $"({t.CSharp})System.Numerics.BitOperations.PopCount({Unsigned(a[0])})";
            case "bitrev": return Normalize($"({t.CSharp})GuestBits.Reverse({Unsigned(a[0])}, {t.Bits})", t);
            case "byteswap": return Normalize($"({t.CSharp})GuestBits.SwapBytes({Unsigned(a[0])}, {t.Bits})", t);
            case "rotr": return Normalize($"({t.CSharp})GuestBits.RotateRight({Unsigned(a[0])}, (int){Expr(a[1])}, {t.Bits})", t);
            case "rotl": return Normalize($"({t.CSharp})GuestBits.RotateLeft({Unsigned(a[0])}, (int){Expr(a[1])}, {t.Bits})", t);
            case "f32_from_bits": return $"System.BitConverter.UInt32BitsToSingle({Arg(0)})";
            case "f64_from_bits": return $"System.BitConverter.UInt64BitsToDouble({Arg(0)})";
            case "bits": return t.Kind == TypeKind.F32 ? $"System.BitConverter.SingleToUInt32Bits({Arg(0)})" : $"System.BitConverter.DoubleToUInt64Bits({Arg(0)})";
            case "fadd": return $"IeeeFloat.Add({Arg(0)}, {Arg(1)}, {rm}, ref _fpFlags, Nan)";
            case "fsub": return $"IeeeFloat.Sub({Arg(0)}, {Arg(1)}, {rm}, ref _fpFlags, Nan)";
            case "fmul": return $"IeeeFloat.Mul({Arg(0)}, {Arg(1)}, {rm}, ref _fpFlags, Nan)";
            case "fdiv": return $"IeeeFloat.Div({Arg(0)}, {Arg(1)}, {rm}, ref _fpFlags, Nan)";
            case "fsqrt": return $"IeeeFloat.Sqrt({Arg(0)}, {rm}, ref _fpFlags, Nan)";
            case "fma": return $"IeeeFloat.FusedMultiplyAdd({Arg(0)}, {Arg(1)}, {Arg(2)}, {rm}, ref _fpFlags, Nan)";
            case "fabs": return $"GuestFloat.Abs({Arg(0)})";
            case "fneg": return $"GuestFloat.Negate({Arg(0)})";
            case "is_nan": return t.Kind == TypeKind.F32 ? $"float.IsNaN({Arg(0)})" : $"double.IsNaN({Arg(0)})";
            case "is_snan": return $"IeeeFloat.IsSignalingNaN({Arg(0)}, Nan)";
            case "f_eq": return $"({Expr(a[0])} == {Expr(a[1])})";
            case "f_lt": return $"({Expr(a[0])} < {Expr(a[1])})";
            case "f_le": return $"({Expr(a[0])} <= {Expr(a[1])})";
            case "f32_to_f64": return $"IeeeFloat.ToDouble({Arg(0)}, ref _fpFlags, Nan)";
            case "f64_to_f32": return $"IeeeFloat.ToSingle({Arg(0)}, {rm}, ref _fpFlags, Nan)";
            case "int_to_f32": return $"GuestFloat.ToSingle({IntArgument(a[0])}, {rm}, ref _fpFlags)";
            case "int_to_f64": return $"GuestFloat.ToDouble({IntArgument(a[0])}, {rm}, ref _fpFlags)";
            case "f_to_s32": return $"GuestFloat.ToInt32({Arg(0)}, {rm}, ref _fpFlags)";
            case "f_to_u32": return $"GuestFloat.ToUInt32({Arg(0)}, {rm}, ref _fpFlags)";
            case "f_to_s64": return $"GuestFloat.ToInt64({Arg(0)}, {rm}, ref _fpFlags)";
            case "f_to_u64": return $"GuestFloat.ToUInt64({Arg(0)}, {rm}, ref _fpFlags)";
            case "fp_flags": return "(uint)_fpFlags";
            case "fp_raise": return $"_fpFlags |= (FloatFlags){Expr(a[0])}";
            case "fp_clear": return "_fpFlags = FloatFlags.None";
            default: return "default";
        }
    }

    /// <summary>An integer argument in a C# type that carries its width and signedness (int, uint, long, ulong).</summary>
    private string IntArgument(IrExpr e)
    {
        IrType t = e.Type;
        string x = Expr(e);
        return t.Bits == 32 || t.Bits == 64 ? x : $"({(t.Bits > 32 ? (t.Signed ? "long" : "ulong") : (t.Signed ? "int" : "uint"))}){x}";
    }

    private string Unsigned(IrExpr e)
    {
        string x = Expr(e);
        if (!e.Type.Signed)
        {
            return x;
        }

        string rep = e.Type.Bits > 32 ? "ulong" : "uint";
        return e.Type.Bits == e.Type.RepBits ? $"({rep}){x}" : $"(({rep}){x} & {Hex(Bits.Mask(e.Type.Bits), IrType.UInt(e.Type.RepBits))})";
    }

    /// <summary>
    /// C# arithmetic on two values of one representation keeps that type (uint + uint is uint), so
    /// only types narrower than their representation need a cast and normalization.
    /// </summary>
    private static string Arithmetic(string expr, IrType t) => t.Bits == t.RepBits ? $"({expr})" : Normalize($"({t.CSharp})({expr})", t);

    /// <summary>Keeps a value narrower than its representation zero- or sign-extended.</summary>
    private static string Normalize(string expr, IrType t)
    {
        if (!t.IsInt || t.Bits == t.RepBits)
        {
            return expr;
        }

        if (!t.Signed)
        {
            return $"({expr} & {Hex(Bits.Mask(t.Bits), t)})";
        }

        int pad = t.RepBits - t.Bits;
        return $"(({expr} << {pad}) >> {pad})";
    }

    /// <summary>A constant's bits after conversion: extended by the source's signedness, truncated to the target.</summary>
    private static ulong ConvertConstant(ulong value, IrType from, IrType to)
    {
        ulong extended = from.Signed && from.Bits < 64 && ((value >> (from.Bits - 1)) & 1) != 0 ? value | ~Bits.Mask(from.Bits) : value;
        return to.Kind == TypeKind.Bool ? (extended != 0 ? 1UL : 0) : extended & Bits.Mask(to.Bits);
    }

    public static string Constant(ulong value, IrType t)
    {
        if (t.Kind == TypeKind.Bool)
        {
            return value != 0 ? "true" : "false";
        }

        if (!t.IsInt)
        {
            return "default";
        }

        if (!t.Signed)
        {
            return value < 10 ? value.ToString(CultureInfo.InvariantCulture) + (t.RepBits == 64 ? "UL" : "u") : Hex(value, t);
        }

        long signedValue = t.Bits >= 64 ? unchecked((long)value) : ((long)(value << (64 - t.Bits))) >> (64 - t.Bits);
        if (t.RepBits == 32)
        {
            return signedValue == int.MinValue ? "int.MinValue" : Paren(signedValue.ToString(CultureInfo.InvariantCulture));
        }

        return signedValue == long.MinValue ? "long.MinValue" : Paren(signedValue.ToString(CultureInfo.InvariantCulture) + "L");
    }

    private static string Paren(string s) => s.StartsWith("-", System.StringComparison.Ordinal) ? $"({s})" : s;

    private static string Hex(ulong value, IrType t) => "0x" + value.ToString("X", CultureInfo.InvariantCulture) + (t.RepBits == 64 ? "UL" : "u");

    private static string FloatConstant(double value, IrType t)
    {
        if (t.Kind == TypeKind.F32)
        {
            float f = (float)value;
            return float.IsNaN(f) || float.IsInfinity(f)
                ? $"System.BitConverter.UInt32BitsToSingle(0x{(uint)System.BitConverter.ToInt32(System.BitConverter.GetBytes(f), 0):X}u)"
                : f.ToString("R", CultureInfo.InvariantCulture) + "f";
        }

        return double.IsNaN(value) || double.IsInfinity(value)
            ? $"System.BitConverter.UInt64BitsToDouble(0x{System.BitConverter.DoubleToInt64Bits(value):X}UL)"
            : value.ToString("R", CultureInfo.InvariantCulture) + "d";
    }

    /// <summary>Drops one pair of enclosing parentheses where the context does not need them.</summary>
    private static string Strip(string s)
    {
        if (s.Length < 2 || s[0] != '(' || s[s.Length - 1] != ')')
        {
            return s;
        }

        int depth = 0;
        for (int i = 0; i < s.Length - 1; i++)
        {
            depth += s[i] == '(' ? 1 : s[i] == ')' ? -1 : 0;
            if (depth == 0)
            {
                return s;
            }
        }

        return s.Substring(1, s.Length - 2);
    }
}
