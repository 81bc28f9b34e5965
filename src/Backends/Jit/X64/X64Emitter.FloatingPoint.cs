using System.Runtime.Intrinsics.X86;
using Iced.Intel;
using Isa.Runtime.Cpu;
using Isa.Runtime.Jit;
using static Iced.Intel.AssemblerRegisters;

namespace Isa.Backends.Jit.X64;

/// <summary>
/// Floating point on SSE2, with FMA3 for the exactness of products, quotients and roots and SSE4.1
/// for ceil/floor conversions (checked at run time: without them those instructions are called out).
/// Values stay IEEE bit patterns in general registers and visit XMM0-XMM5 for one operation. Native
/// code runs with the .NET default MXCSR (round to nearest, exceptions masked, no DAZ/FTZ) and never
/// reads it (STMXCSR costs ~50 cycles on some hosts): Inexact comes from an error-free transform
/// (TwoSum, or an FMA residual), and every result that could raise anything else or whose encoding
/// may differ (NaN, infinity, tiny, and a few operand ranges where the residual could underflow)
/// leaves for the interpreter before the instruction changes guest state, as does a run-time
/// rounding mode other than nearest. So the result of a native operation is never a NaN, which
/// folds the spec's NaN tests, and its flags are Inexact or none.
/// </summary>
internal sealed partial class X64Emitter
{
    /// <summary>Temporaries (a bit per host register) that hold the result of a native operation: never a NaN.</summary>
    private uint _notNaN;

    /// <summary>True once the current instruction changed guest state: a side exit to the interpreter is no longer exact.</summary>
    private bool _guestWritten;

    private (int Index, Label Stub)? _interpretExit;

    public JitValue FloatArithmetic(JitFloatOp op, JitFloatFormat format, JitValue left, JitValue right, JitValue roundingMode)
    {
        FlushFlags();
        if (_dead)
        {
            Release(left);
            Release(right);
            Release(roundingMode);
            return Dead(FloatType(format));
        }

        if (op is JitFloatOp.Mul or JitFloatOp.Div or JitFloatOp.Sqrt && (HostFeatures & HostFeatures.Fma) == 0)
        {
            throw new JitUnsupportedException("exactness of a product, quotient or root needs FMA3");
        }

        RequireNearest(roundingMode);
        bool d = format == JitFloatFormat.Double;
        LoadXmm(xmm2, left, format);
        if (op != JitFloatOp.Sqrt)
        {
            LoadXmm(xmm1, right, format);
        }

        Release(left);
        Release(right);
        Movaps(xmm0, xmm2);
        switch (op)
        {
            case JitFloatOp.Add when d: _a.addsd(xmm0, xmm1); break;
            case JitFloatOp.Add: _a.addss(xmm0, xmm1); break;
            case JitFloatOp.Sub when d: _a.subsd(xmm0, xmm1); break;
            case JitFloatOp.Sub: _a.subss(xmm0, xmm1); break;
            case JitFloatOp.Mul when d: _a.mulsd(xmm0, xmm1); break;
            case JitFloatOp.Mul: _a.mulss(xmm0, xmm1); break;
            case JitFloatOp.Div when d: _a.divsd(xmm0, xmm1); break;
            case JitFloatOp.Div: _a.divss(xmm0, xmm1); break;
            case JitFloatOp.Sqrt when d: _a.sqrtsd(xmm0, xmm0); break;
            default: _a.sqrtss(xmm0, xmm0); break;
        }

        // Normal results only. A residual is exact unless it underflows: products, quotients and roots
        // keep a margin of a significand's width above the subnormals (operands of / and sqrt too).
        int r = AllocateTemp();
        StoreXmm(r, format);
        int precision = d ? 53 : 24;
        int lowest = op is JitFloatOp.Add or JitFloatOp.Sub ? 2 : precision + 2;
        Label special = _a.CreateLabel(), done = _a.CreateLabel();
        JumpIfExponentOutside(r, format, lowest, special);
        if (op is JitFloatOp.Div or JitFloatOp.Sqrt)
        {
            StoreXmm(Rax, format, xmm2);
            JumpIfExponentOutside(Rax, format, lowest, special);
        }

        // The residual: zero exactly when the result is exact.
        switch (op)
        {
            case JitFloatOp.Add:
                // TwoSum: b' = s - a, a' = s - b', residual (a - a') + (b - b').
                Movaps(xmm3, xmm0);
                FloatSub(d, xmm3, xmm2);
                Movaps(xmm4, xmm0);
                FloatSub(d, xmm4, xmm3);
                FloatSub(d, xmm1, xmm3);
                FloatSub(d, xmm2, xmm4);
                FloatAdd(d, xmm2, xmm1);
                break;
            case JitFloatOp.Sub:
                // TwoSum of a and -b: w = a - s, a' = s + w, residual (a - a') + (w - b).
                Movaps(xmm3, xmm2);
                FloatSub(d, xmm3, xmm0);
                Movaps(xmm4, xmm0);
                FloatAdd(d, xmm4, xmm3);
                FloatSub(d, xmm3, xmm1);
                FloatSub(d, xmm2, xmm4);
                FloatAdd(d, xmm2, xmm3);
                break;
            case JitFloatOp.Mul:
                // a * b - p, rounded once.
                Movaps(xmm3, xmm0);
                if (d)
                {
                    _a.vfmsub231sd(xmm3, xmm2, xmm1);
                }
                else
                {
                    _a.vfmsub231ss(xmm3, xmm2, xmm1);
                }

                Movaps(xmm2, xmm3);
                break;
            case JitFloatOp.Div:
                // a - q * b.
                if (d)
                {
                    _a.vfnmadd231sd(xmm2, xmm0, xmm1);
                }
                else
                {
                    _a.vfnmadd231ss(xmm2, xmm0, xmm1);
                }

                break;
            default:
                // a - s * s.
                if (d)
                {
                    _a.vfnmadd231sd(xmm2, xmm0, xmm0);
                }
                else
                {
                    _a.vfnmadd231ss(xmm2, xmm0, xmm0);
                }

                break;
        }

        _a.xorps(xmm3, xmm3);
        if (d)
        {
            _a.ucomisd(xmm2, xmm3);
        }
        else
        {
            _a.ucomiss(xmm2, xmm3);
        }

        RaiseInexactIf(ConditionCode.ne);
        _a.jmp(done);

        // Out of the normal range: a zero is exact when a sum gives it (sums cannot round to zero),
        // when a product has a zero factor, or a quotient or root a zero operand; all else is left to
        // the interpreter (NaN, infinity, overflow, division by zero, tiny results). XMM1 and XMM2
        // still hold the operands here.
        Bind(ref special);
        ExitUnlessZero(r, d);
        if (op is not (JitFloatOp.Add or JitFloatOp.Sub))
        {
            _a.xorps(xmm3, xmm3);
            if (op == JitFloatOp.Mul)
            {
                FloatCompareRegisters(d, xmm1, xmm3);
                _a.je(done);
            }

            FloatCompareRegisters(d, xmm2, xmm3);
            _a.jne(InterpretExit());
        }

        Bind(ref done);
        _notNaN |= 1u << r;
        return Temp(r, FloatType(format));
    }

    public JitValue FloatCompare(JitFloatCompare op, JitFloatFormat format, JitValue left, JitValue right)
    {
        FlushFlags();
        if (_dead)
        {
            Release(left);
            Release(right);
            return Dead(JitType.Bool);
        }

        if (op == JitFloatCompare.Unordered && IsNotNaN(left) && IsNotNaN(right))
        {
            Release(left);
            Release(right);
            return Constant(0, JitType.Bool);
        }

        // UCOMISS/UCOMISD: ZF PF CF = 111 unordered, 100 equal, 001 less, 000 greater. Less and
        // LessOrEqual compare the other way round, so "above" excludes unordered.
        bool swap = op is JitFloatCompare.Less or JitFloatCompare.LessOrEqual;
        LoadXmm(xmm0, swap ? right : left, format);
        LoadXmm(xmm1, swap ? left : right, format);
        if (format == JitFloatFormat.Double)
        {
            _a.ucomisd(xmm0, xmm1);
        }
        else
        {
            _a.ucomiss(xmm0, xmm1);
        }

        Release(left);
        Release(right);
        int r = AllocateTemp();
        switch (op)
        {
            case JitFloatCompare.Less:
                _pendingFlags = (r, ConditionCode.a);
                break;
            case JitFloatCompare.LessOrEqual:
                _pendingFlags = (r, ConditionCode.ae);
                break;
            case JitFloatCompare.Equal:
                _a.sete(R8(r));
                _a.setnp(al);
                _a.and(R8(r), al);
                _a.movzx(R32(r), R8(r));
                break;
            default:
                _a.setp(R8(r));
                _a.movzx(R32(r), R8(r));
                break;
        }

        return Temp(r, JitType.Bool);
    }

    public JitValue FloatToFloat(JitValue operand, JitFloatFormat to, JitValue roundingMode)
    {
        FlushFlags();
        if (_dead)
        {
            Release(operand);
            Release(roundingMode);
            return Dead(FloatType(to));
        }

        if (to == JitFloatFormat.Double)
        {
            // Exact, infinities included: only a NaN goes to the interpreter.
            Release(roundingMode);
            LoadXmm(xmm0, operand, JitFloatFormat.Single);
            Release(operand);
            _a.cvtss2sd(xmm0, xmm0);
            _a.ucomisd(xmm0, xmm0);
            _a.jp(InterpretExit());
            int wide = AllocateTemp();
            StoreXmm(wide, to);
            _notNaN |= 1u << wide;
            return Temp(wide, FloatType(to));
        }

        RequireNearest(roundingMode);
        LoadXmm(xmm2, operand, JitFloatFormat.Double);
        Release(operand);
        _a.cvtsd2ss(xmm0, xmm2);
        int r = AllocateTemp();
        StoreXmm(r, to);
        Label special = _a.CreateLabel(), done = _a.CreateLabel();
        JumpIfExponentOutside(r, to, 2, special);
        _a.cvtss2sd(xmm3, xmm0);
        _a.ucomisd(xmm3, xmm2);
        RaiseInexactIf(ConditionCode.ne);
        _a.jmp(done);

        // A zero is exact from a zero only; infinities, NaNs and tiny results go to the interpreter.
        Bind(ref special);
        ExitUnlessZero(r, false);
        _a.xorps(xmm3, xmm3);
        _a.ucomisd(xmm2, xmm3);
        _a.jne(InterpretExit());
        Bind(ref done);
        _notNaN |= 1u << r;
        return Temp(r, FloatType(to));
    }

    public JitValue IntegerToFloat(JitValue operand, JitFloatFormat to, JitValue roundingMode)
    {
        FlushFlags();
        if (_dead)
        {
            Release(operand);
            Release(roundingMode);
            return Dead(FloatType(to));
        }

        JitType from = operand.Type;
        bool exact = to == JitFloatFormat.Double && from.Bits <= 32;
        if (exact)
        {
            Release(roundingMode);
        }
        else
        {
            RequireNearest(roundingMode);
        }

        // Canonical values are already extended to 64 bits by their signedness: one 64-bit conversion
        // is exact for every type but u64, whose upper half goes to the interpreter.
        int source = InRegister(operand, Rax);
        if (from.Bits >= 64 && !from.Signed)
        {
            _a.test(R64(source), R64(source));
            _a.js(InterpretExit());
        }

        _a.xorps(xmm0, xmm0); // cvtsi2s* merge into the register: no dependency on its old value
        if (to == JitFloatFormat.Double)
        {
            _a.cvtsi2sd(xmm0, R64(source));
        }
        else
        {
            _a.cvtsi2ss(xmm0, R64(source));
        }

        if (!exact)
        {
            // Inexact when the value does not convert back (2^63 gives x86's indefinite, not the source).
            if (to == JitFloatFormat.Double)
            {
                _a.cvttsd2si(rcx, xmm0);
            }
            else
            {
                _a.cvttss2si(rcx, xmm0);
            }

            _a.cmp(rcx, R64(source));
            RaiseInexactIf(ConditionCode.ne);
        }

        Release(operand);
        int r = AllocateTemp();
        StoreXmm(r, to);
        _notNaN |= 1u << r;
        return Temp(r, FloatType(to));
    }

    public JitValue FloatToInteger(JitValue operand, JitFloatFormat from, JitType type, JitValue roundingMode)
    {
        FlushFlags();
        if (_dead)
        {
            Release(operand);
            Release(roundingMode);
            return Dead(type);
        }

        if (type.Bits > 32 && !type.Signed)
        {
            throw new JitUnsupportedException("float to u64 has no native lowering");
        }

        bool d = from == JitFloatFormat.Double;
        LoadXmm(xmm0, operand, from);
        Release(operand);
        Movaps(xmm2, xmm0);

        // Truncation is its own instruction; ceil and floor round in place first and then convert
        // exactly; nearest uses MXCSR, which native code keeps at nearest.
        bool truncate = false;
        if (roundingMode.IsConstant)
        {
            switch (roundingMode.Constant)
            {
                case 0:
                    break;
                case 1:
                    truncate = true;
                    break;
                case 2 or 3 when (HostFeatures & HostFeatures.Sse41) != 0:
                    byte mode = (byte)((roundingMode.Constant == 2 ? 0b10 : 0b01) | 0b1000); // toward +inf / -inf, no PE
                    if (d)
                    {
                        _a.roundsd(xmm0, xmm0, mode);
                    }
                    else
                    {
                        _a.roundss(xmm0, xmm0, mode);
                    }

                    truncate = true;
                    break;
                default:
                    throw new JitUnsupportedException($"rounding mode {roundingMode.Constant} has no native lowering");
            }
        }
        else
        {
            RequireNearest(roundingMode);
        }

        int r = AllocateTemp();
        bool wide = type.Bits > 32 || !type.Signed; // u32 converts through 64 bits, then its range is checked
        AssemblerRegister64 r64 = R64(r);
        AssemblerRegister32 r32 = R32(r);
        switch ((d, truncate, wide))
        {
            case (true, true, true): _a.cvttsd2si(r64, xmm0); break;
            case (true, true, false): _a.cvttsd2si(r32, xmm0); break;
            case (true, false, true): _a.cvtsd2si(r64, xmm0); break;
            case (true, false, false): _a.cvtsd2si(r32, xmm0); break;
            case (false, true, true): _a.cvttss2si(r64, xmm0); break;
            case (false, true, false): _a.cvttss2si(r32, xmm0); break;
            case (false, false, true): _a.cvtss2si(r64, xmm0); break;
            default: _a.cvtss2si(r32, xmm0); break;
        }

        // NaN and out of range give x86's "integer indefinite" (the smallest value): the interpreter
        // decides those (a true minimum too, rarely).
        if (!type.Signed)
        {
            _a.mov(rax, r64);
            _a.shr(rax, 32);
            _a.jne(InterpretExit());
        }
        else if (wide)
        {
            _a.mov(rax, long.MinValue);
            _a.cmp(r64, rax);
            _a.je(InterpretExit());
        }
        else
        {
            _a.cmp(r32, int.MinValue);
            _a.je(InterpretExit());
            Normalize(r, type, after32BitOperation: true);
        }

        // Inexact when the integer differs from the operand (both exact in a double here).
        if (!d)
        {
            _a.cvtss2sd(xmm2, xmm2);
        }

        _a.xorps(xmm1, xmm1);
        _a.cvtsi2sd(xmm1, r64);
        _a.ucomisd(xmm1, xmm2);
        RaiseInexactIf(ConditionCode.ne);
        return Temp(r, type);
    }

    public void ClearFloatFlags()
    {
        FlushBranch(); // a held-back If jump goes first: the store belongs to one path
        if (!_dead)
        {
            _a.mov(__dword_ptr[rbx + JitContext.FloatFlags], 0); // no EFLAGS change: a pending comparison survives
        }
    }

    public JitValue FloatFlags()
    {
        FlushFlags();
        if (_dead)
        {
            return Dead(JitType.U32);
        }

        int r = AllocateTemp();
        _a.mov(R32(r), __dword_ptr[rbx + JitContext.FloatFlags]);
        return Temp(r, JitType.U32);
    }

    public void RaiseFloatFlags(JitValue flags)
    {
        FlushFlags();
        if (!_dead)
        {
            Location l = Locate(flags);
            if (l.Kind == LocationKind.Immediate)
            {
                _a.or(__dword_ptr[rbx + JitContext.FloatFlags], (int)(uint)l.Value);
            }
            else
            {
                _a.or(__dword_ptr[rbx + JitContext.FloatFlags], R32(InRegister(flags, Rax)));
            }
        }

        Release(flags);
    }

    private static JitType FloatType(JitFloatFormat format) => format == JitFloatFormat.Double ? JitType.U64 : JitType.U32;

    /// <summary>Adds Inexact to the instruction's flags when <paramref name="cc"/> holds.</summary>
    private void RaiseInexactIf(ConditionCode cc)
    {
        SetCondition(cc, Rax);
        _a.movzx(eax, al);
        _a.or(__dword_ptr[rbx + JitContext.FloatFlags], eax);
    }

    /// <summary>Jumps unless the biased exponent of the bit pattern in <paramref name="r"/> is in [lowest, maximum - 1] (finite, not tiny).</summary>
    private void JumpIfExponentOutside(int r, JitFloatFormat format, int lowest, Label target)
    {
        bool d = format == JitFloatFormat.Double;
        if (r != Rax)
        {
            _a.mov(rax, R64(r));
        }

        _a.shl(rax, (byte)(d ? 1 : 33));
        _a.shr(rax, (byte)(d ? 53 : 56));
        _a.sub(eax, lowest);
        _a.cmp(eax, (d ? 0x7FF : 0xFF) - 1 - lowest);
        _a.ja(target);
    }

    /// <summary>Leaves for the interpreter unless the bit pattern in <paramref name="r"/> is a zero of either sign.</summary>
    private void ExitUnlessZero(int r, bool d)
    {
        _a.mov(rax, R64(r));
        _a.shl(rax, (byte)(d ? 1 : 33));
        _a.jne(InterpretExit());
    }

    private void Movaps(AssemblerRegisterXMM x, AssemblerRegisterXMM y) => _a.movaps(x, y);

    private void FloatAdd(bool d, AssemblerRegisterXMM x, AssemblerRegisterXMM y)
    {
        if (d)
        {
            _a.addsd(x, y);
        }
        else
        {
            _a.addss(x, y);
        }
    }

    private void FloatSub(bool d, AssemblerRegisterXMM x, AssemblerRegisterXMM y)
    {
        if (d)
        {
            _a.subsd(x, y);
        }
        else
        {
            _a.subss(x, y);
        }
    }

    private void FloatCompareRegisters(bool d, AssemblerRegisterXMM x, AssemblerRegisterXMM y)
    {
        if (d)
        {
            _a.ucomisd(x, y);
        }
        else
        {
            _a.ucomiss(x, y);
        }
    }

    /// <summary>Native code rounds to nearest: a rounding mode known at run time only must be that, or the interpreter runs the instruction.</summary>
    private void RequireNearest(JitValue roundingMode)
    {
        if (roundingMode.IsConstant)
        {
            if (roundingMode.Constant != 0)
            {
                throw new JitUnsupportedException($"rounding mode {roundingMode.Constant} has no native lowering");
            }

            return;
        }

        // Through Compare: a field of a register (fcsr & 3) becomes one TEST.
        Compare(JitBinary.Ne, roundingMode, Constant(0, roundingMode.Type));
        (int register, ConditionCode cc) = _pendingFlags!.Value;
        _pendingFlags = null;
        _freeTemps |= 1u << register;
        JumpIf(cc, InterpretExit());
    }

    /// <summary>The current instruction's exit to the interpreter, which runs it from its start (a trap of kind None).</summary>
    private Label InterpretExit()
    {
        if (_guestWritten)
        {
            throw new JitUnsupportedException("a floating-point side exit after a guest state change");
        }

        if (_interpretExit is { } exit && exit.Index == Current.Index)
        {
            return exit.Stub;
        }

        Label stub = NewTrapStub(TrapKind.None);
        _interpretExit = (Current.Index, stub);
        return stub;
    }

    private bool IsNotNaN(JitValue v)
    {
        Location l = v.Kind is JitValueKind.Temporary or JitValueKind.Pinned ? Locate(v) : default;
        return l.Kind == LocationKind.Register && l.Register < 32 && (_notNaN & (1u << l.Register)) != 0;
    }

    /// <summary>Loads a bit pattern into an XMM register's low lane.</summary>
    private void LoadXmm(AssemblerRegisterXMM x, JitValue v, JitFloatFormat format)
    {
        bool d = format == JitFloatFormat.Double;
        Location l = Locate(v);
        switch (l.Kind)
        {
            case LocationKind.Immediate when l.Value == 0:
                _a.xorps(x, x);
                break;
            case LocationKind.Immediate:
                MoveTo(Rax, l);
                if (d)
                {
                    _a.movq(x, rax);
                }
                else
                {
                    _a.movd(x, eax);
                }

                break;
            case LocationKind.State when d && l.Bytes == 8:
                _a.movq(x, __qword_ptr[rbx + l.Offset]);
                break;
            case LocationKind.State:
                // A narrower slot holds the zero-extended value: MOVD zero-extends too.
                _a.movd(x, __dword_ptr[rbx + l.Offset]);
                break;
            default:
                if (d)
                {
                    _a.movq(x, R64(l.Register));
                }
                else
                {
                    _a.movd(x, R32(l.Register));
                }

                break;
        }
    }

    /// <summary>Moves XMM0 (or <paramref name="source"/>) into a general register: a double's bits, or a single's zero-extended.</summary>
    private void StoreXmm(int r, JitFloatFormat format, AssemblerRegisterXMM? source = null)
    {
        AssemblerRegisterXMM x = source ?? xmm0;
        if (format == JitFloatFormat.Double)
        {
            _a.movq(R64(r), x);
        }
        else
        {
            _a.movd(R32(r), x);
        }
    }
}
