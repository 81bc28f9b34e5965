using System.Runtime.Intrinsics.X86;
using Iced.Intel;
using Isa.Runtime.Cpu;
using Isa.Runtime.Jit;
using static Iced.Intel.AssemblerRegisters;

namespace Isa.Backends.Jit.X64;

/// <summary>Arithmetic, comparisons, conversions and guest memory accesses.</summary>
internal sealed partial class X64Emitter
{
    public JitValue Unary(JitUnary op, JitValue operand, JitType type)
    {
        if (op == JitUnary.LogicalNot && IsPendingFlags(operand))
        {
            _pendingFlags = (operand.Slot, Negate(_pendingFlags!.Value.Condition));
            return operand with { Type = type };
        }

        FlushFlags();
        if (_dead)
        {
            Release(operand);
            return Dead(type);
        }

        if (operand.IsConstant)
        {
            ulong c = operand.Constant;
            return Constant(op switch { JitUnary.Negate => 0 - c, JitUnary.Not => ~c, _ => c == 0 ? 1UL : 0 }, type);
        }

        if (op is JitUnary.Negate or JitUnary.Not && type == JitType.U32 && operand.Type == type && Locate(operand) is var source && (source.Kind == LocationKind.Register || IsStateWord(source)))
        {
            return Defer(op == JitUnary.Negate ? DeferredKind.Neg : DeferredKind.Not, operand, source, Constant(0, type), Location.Immediate(0), type);
        }

        int d = IntoNewTemp(operand);
        bool narrow = type.Bits <= 32;
        switch (op)
        {
            case JitUnary.LogicalNot:
                _a.xor(R32(d), 1);
                return Temp(d, type);
            case JitUnary.Negate when narrow:
                _a.neg(R32(d));
                break;
            case JitUnary.Negate:
                _a.neg(R64(d));
                break;
            case JitUnary.Not when narrow:
                _a.not(R32(d));
                break;
            default:
                _a.not(R64(d));
                break;
        }

        Normalize(d, type, narrow);
        return Temp(d, type);
    }

    public JitValue Binary(JitBinary op, JitValue left, JitValue right, JitType type)
    {
        // Constants fold without code, so nothing pending needs emitting first (an If's held-back jump waits for a direct jump's target).
        if (!_dead && left.IsConstant && right.IsConstant)
        {
            return Constant(Fold(op, left.Constant, right.Constant, left.Type), type);
        }

        FlushFlags();
        if (_dead)
        {
            Release(left);
            Release(right);
            return Dead(type);
        }

        JitType operand = left.Type;
        if (left.IsConstant && right.IsConstant)
        {
            return Constant(Fold(op, left.Constant, right.Constant, operand), type);
        }

        switch (op)
        {
            case JitBinary.Eq or JitBinary.Ne or JitBinary.Lt or JitBinary.Le or JitBinary.Gt or JitBinary.Ge:
                return Compare(op, left, right);
            case JitBinary.Div or JitBinary.Rem:
                return Divide(op, left, right, type);
            case JitBinary.Shl or JitBinary.Shr:
                return Shift(op, left, right, type);
            case JitBinary.LogicalAnd:
                return Arithmetic(JitBinary.And, left, right, type);
            case JitBinary.LogicalOr:
                return Arithmetic(JitBinary.Or, left, right, type);
            default:
                return Arithmetic(op, left, right, type);
        }
    }

    internal static ulong Fold(JitBinary op, ulong a, ulong b, JitType t)
    {
        int mask = t.Bits <= 32 ? 31 : 63;
        bool narrow = t.Bits <= 32;
        return op switch
        {
            JitBinary.Add => a + b,
            JitBinary.Sub => a - b,
            JitBinary.Mul => a * b,
            JitBinary.And => a & b,
            JitBinary.Or => a | b,
            JitBinary.Xor => a ^ b,
            JitBinary.Shl => a << (int)(b & (ulong)mask),
            JitBinary.Shr => t.Signed ? (ulong)((long)a >> (int)(b & (ulong)mask)) : a >> (int)(b & (ulong)mask),
            JitBinary.Div when narrow && t.Signed => (ulong)GuestArithmetic.Divide((int)a, (int)b),
            JitBinary.Div when narrow => GuestArithmetic.Divide((uint)a, (uint)b),
            JitBinary.Div when t.Signed => (ulong)GuestArithmetic.Divide((long)a, (long)b),
            JitBinary.Div => GuestArithmetic.Divide(a, b),
            JitBinary.Rem when narrow && t.Signed => (ulong)GuestArithmetic.Remainder((int)a, (int)b),
            JitBinary.Rem when narrow => GuestArithmetic.Remainder((uint)a, (uint)b),
            JitBinary.Rem when t.Signed => (ulong)GuestArithmetic.Remainder((long)a, (long)b),
            JitBinary.Rem => GuestArithmetic.Remainder(a, b),
            JitBinary.Eq => a == b ? 1UL : 0,
            JitBinary.Ne => a != b ? 1UL : 0,
            JitBinary.Lt => (t.Signed ? (long)a < (long)b : a < b) ? 1UL : 0,
            JitBinary.Le => (t.Signed ? (long)a <= (long)b : a <= b) ? 1UL : 0,
            JitBinary.Gt => (t.Signed ? (long)a > (long)b : a > b) ? 1UL : 0,
            JitBinary.Ge => (t.Signed ? (long)a >= (long)b : a >= b) ? 1UL : 0,
            JitBinary.LogicalAnd => a != 0 && b != 0 ? 1UL : 0,
            _ => a != 0 || b != 0 ? 1UL : 0,
        };
    }

    private JitValue Arithmetic(JitBinary op, JitValue left, JitValue right, JitType type)
    {
        bool commutative = op is JitBinary.Add or JitBinary.Mul or JitBinary.And or JitBinary.Or or JitBinary.Xor;
        // A register on the left (a state slot on the right): a deferred operation can then compute in place.
        if (commutative && (left.IsConstant || (right.Kind == JitValueKind.Temporary && left.Kind != JitValueKind.Temporary)
            || (left.Kind == JitValueKind.Memory && right.Kind == JitValueKind.GuestRegister)))
        {
            (left, right) = (right, left);
        }

        if (right.IsConstant && left.Type == type)
        {
            ulong c = right.Constant;
            bool identity = op switch
            {
                JitBinary.Add or JitBinary.Sub or JitBinary.Or or JitBinary.Xor => c == 0,
                JitBinary.And => c == type.Canonical(ulong.MaxValue),
                JitBinary.Mul => c == 1,
                _ => false,
            };
            if (identity)
            {
                return left;
            }
        }

        if (op == JitBinary.And && right.IsConstant && !type.IsBool && left.Type == type && TryFoldAnd(left, right.Constant, out ulong masked))
        {
            // The bits the mask keeps are known (a register tested before, a constant added): no code.
            Release(left);
            return Constant(masked, type);
        }

        if (op == JitBinary.And && type == JitType.U32 && right.IsConstant && LazyAddress(left) is { } address
            && (address.Right.Value & LowBitsThrough(right.Constant)) == 0)
        {
            // (x + c) & m is x & m when c has no bit at or below m's highest: an alignment test reads the register.
            return Defer(DeferredKind.And, left, address.Left, right, Location.Immediate(right.Constant), type);
        }

        // 32-bit operations wait for their use: written to a guest register they are computed straight
        // into its home (or in place in the state block), an add folds into an address, an and into a test.
        bool deferrable = (type == JitType.U32 && left.Type == type) || (op == JitBinary.And && !type.Signed && !type.IsBool && type.Bits <= 32 && left.Type == type);
        if (deferrable && Locate(left) is var source && (source.Kind == LocationKind.Register || IsStateWord(source) || (source.Kind == LocationKind.Immediate && op == JitBinary.Sub)))
        {
            Location r = Locate(right);
            if (r.Kind == LocationKind.Register || (r.Kind == LocationKind.Immediate) || IsStateWord(r))
            {
                DeferredKind kind = op switch
                {
                    JitBinary.Add => DeferredKind.Add,
                    JitBinary.Sub => DeferredKind.Sub,
                    JitBinary.And => DeferredKind.And,
                    JitBinary.Or => DeferredKind.Or,
                    JitBinary.Mul => DeferredKind.Mul,
                    _ => DeferredKind.Xor,
                };
                return Defer(kind, left, source, right, r, type);
            }
        }

        bool bitwise = op is JitBinary.And or JitBinary.Or or JitBinary.Xor;
        bool narrow = type.Bits <= 32 && !(bitwise && type.Signed);
        int d = IntoNewTemp(left);
        Alu(op, d, !narrow, Locate(right));
        Release(right);
        if (!bitwise)
        {
            Normalize(d, type, narrow);
        }

        return Temp(d, type);
    }

    /// <summary>The mask of the bits of <paramref name="m"/>'s highest set bit and below.</summary>
    private static ulong LowBitsThrough(ulong m) => m == 0 ? 0 : ulong.MaxValue >> System.Numerics.BitOperations.LeadingZeroCount(m);

    /// <summary>A 32-bit guest register in the state block, as a canonical u32.</summary>
    private static bool IsStateWord(Location l) => l.Kind == LocationKind.State && l.Bytes == 4 && !l.Signed;

    private void Alu(JitBinary op, int d, bool wide, Location b)
    {
        if ((b.Kind == LocationKind.Immediate && wide && (long)b.Value != (int)b.Value) || (b.Kind == LocationKind.State && wide && b.Bytes != 8))
        {
            MoveTo(Rcx, b);
            b = Location.InRegister(Rcx);
        }

        switch (b.Kind)
        {
            case LocationKind.Register when wide:
                {
                    AssemblerRegister64 x = R64(d), y = R64(b.Register);
                    switch (op)
                    {
                        case JitBinary.Add: _a.add(x, y); break;
                        case JitBinary.Sub: _a.sub(x, y); break;
                        case JitBinary.Mul: _a.imul(x, y); break;
                        case JitBinary.And: _a.and(x, y); break;
                        case JitBinary.Or: _a.or(x, y); break;
                        default: _a.xor(x, y); break;
                    }

                    break;
                }

            case LocationKind.Register:
                {
                    AssemblerRegister32 x = R32(d), y = R32(b.Register);
                    switch (op)
                    {
                        case JitBinary.Add: _a.add(x, y); break;
                        case JitBinary.Sub: _a.sub(x, y); break;
                        case JitBinary.Mul: _a.imul(x, y); break;
                        case JitBinary.And: _a.and(x, y); break;
                        case JitBinary.Or: _a.or(x, y); break;
                        default: _a.xor(x, y); break;
                    }

                    break;
                }

            case LocationKind.Immediate:
                {
                    int imm = wide ? (int)(long)b.Value : (int)(uint)b.Value;
                    if (wide)
                    {
                        AssemblerRegister64 x = R64(d);
                        switch (op)
                        {
                            case JitBinary.Add: _a.add(x, imm); break;
                            case JitBinary.Sub: _a.sub(x, imm); break;
                            case JitBinary.Mul: _a.imul(x, x, imm); break;
                            case JitBinary.And: _a.and(x, imm); break;
                            case JitBinary.Or: _a.or(x, imm); break;
                            default: _a.xor(x, imm); break;
                        }
                    }
                    else
                    {
                        AssemblerRegister32 x = R32(d);
                        switch (op)
                        {
                            case JitBinary.Add: _a.add(x, imm); break;
                            case JitBinary.Sub: _a.sub(x, imm); break;
                            case JitBinary.Mul: _a.imul(x, x, imm); break;
                            case JitBinary.And: _a.and(x, imm); break;
                            case JitBinary.Or: _a.or(x, imm); break;
                            default: _a.xor(x, imm); break;
                        }
                    }

                    break;
                }

            default:
                {
                    if (wide)
                    {
                        AssemblerRegister64 x = R64(d);
                        AssemblerMemoryOperand m = __qword_ptr[rbx + b.Offset];
                        switch (op)
                        {
                            case JitBinary.Add: _a.add(x, m); break;
                            case JitBinary.Sub: _a.sub(x, m); break;
                            case JitBinary.Mul: _a.imul(x, m); break;
                            case JitBinary.And: _a.and(x, m); break;
                            case JitBinary.Or: _a.or(x, m); break;
                            default: _a.xor(x, m); break;
                        }
                    }
                    else
                    {
                        AssemblerRegister32 x = R32(d);
                        AssemblerMemoryOperand m = __dword_ptr[rbx + b.Offset];
                        switch (op)
                        {
                            case JitBinary.Add: _a.add(x, m); break;
                            case JitBinary.Sub: _a.sub(x, m); break;
                            case JitBinary.Mul: _a.imul(x, m); break;
                            case JitBinary.And: _a.and(x, m); break;
                            case JitBinary.Or: _a.or(x, m); break;
                            default: _a.xor(x, m); break;
                        }
                    }

                    break;
                }
        }
    }

    private JitValue Shift(JitBinary op, JitValue left, JitValue right, JitType type)
    {
        bool narrow = left.Type.Bits <= 32;
        bool arithmetic = op == JitBinary.Shr && left.Type.Signed;
        if (right.IsConstant)
        {
            int n = (int)(right.Constant & (narrow ? 31UL : 63UL));
            if (n == 0 && left.Type == type)
            {
                return left;
            }

            if (type == JitType.U32 && left.Type == type && !arithmetic && Locate(left) is var source && (source.Kind == LocationKind.Register || IsStateWord(source)))
            {
                return Defer(op == JitBinary.Shl ? DeferredKind.Shl : DeferredKind.Shr, left, source, right, Location.Immediate((ulong)n), type);
            }

            if (arithmetic && type == JitType.S32 && left.Type == type && Low32Source(left) is { Kind: not LocationKind.Immediate } low)
            {
                return Defer(DeferredKind.Sar, left, low, right, Location.Immediate((ulong)n), type);
            }

            int d = IntoNewTemp(left);
            if (op == JitBinary.Shl)
            {
                if (narrow)
                {
                    _a.shl(R32(d), (byte)(n));
                }
                else
                {
                    _a.shl(R64(d), (byte)(n));
                }

                Normalize(d, type, narrow);
            }
            else if (arithmetic)
            {
                _a.sar(R64(d), (byte)(n)); // canonical values are sign-extended to 64 bits
            }
            else if (narrow)
            {
                _a.shr(R32(d), (byte)(n));
            }
            else
            {
                _a.shr(R64(d), (byte)(n));
            }

            return Temp(d, type);
        }

        if (type == JitType.U32 && left.Type == type && !arithmetic && Locate(left) is var from && (from.Kind is LocationKind.Register or LocationKind.Immediate || IsStateWord(from)))
        {
            // A logical shift by a register waits like the others: shlx/shrx then write its destination straight from the source.
            return Defer(op == JitBinary.Shl ? DeferredKind.ShlVariable : DeferredKind.ShrVariable, left, from, right, ShiftCount(right, 31), type);
        }

        if (arithmetic && type == JitType.S32 && left.Type == type && Low32Source(left) is { } low32)
        {
            return Defer(DeferredKind.SarVariable, left, low32, right, ShiftCount(right, 31), type);
        }

        int r = IntoNewTemp(left);
        Location count = ShiftCount(right, narrow ? 31UL : 63UL);
        if ((HostFeatures & HostFeatures.Bmi2) != 0)
        {
            // shlx/sarx/shrx take the count from any register: no move to CL.
            int c = count.Kind == LocationKind.Register ? count.Register : Rcx;
            MoveTo(c, count);
            switch (op)
            {
                case JitBinary.Shl when narrow: _a.shlx(R32(r), R32(r), R32(c)); break;
                case JitBinary.Shl: _a.shlx(R64(r), R64(r), R64(c)); break;
                case JitBinary.Shr when arithmetic && narrow: _a.sarx(R32(r), R32(r), R32(c)); break;
                case JitBinary.Shr when arithmetic: _a.sarx(R64(r), R64(r), R64(c)); break;
                case JitBinary.Shr when narrow: _a.shrx(R32(r), R32(r), R32(c)); break;
                default: _a.shrx(R64(r), R64(r), R64(c)); break;
            }
        }
        else
        {
            MoveTo(Rcx, count);
            switch (op)
            {
                case JitBinary.Shl when narrow: _a.shl(R32(r), cl); break;
                case JitBinary.Shl: _a.shl(R64(r), cl); break;
                case JitBinary.Shr when arithmetic && narrow: _a.sar(R32(r), cl); break;
                case JitBinary.Shr when arithmetic: _a.sar(R64(r), cl); break;
                case JitBinary.Shr when narrow: _a.shr(R32(r), cl); break;
                default: _a.shr(R64(r), cl); break;
            }
        }

        Release(right);
        Normalize(r, type, narrow);
        return Temp(r, type);
    }

    /// <summary>
    /// Where a shift's count is. x86 masks a count to the operand size as the IR does (5 bits for 32,
    /// 6 for 64), so a count that is a low slice of a register (a spec's <c>gpr[rs][4:0]</c>, not
    /// computed yet) is that register as it is: no copy, no and.
    /// </summary>
    private Location ShiftCount(JitValue count, ulong hardwareMask)
    {
        if (IsUnmaterialized(count, DeferredKind.And) && _deferred[count.Slot] is { Right: { Kind: LocationKind.Immediate } mask, Left.Kind: LocationKind.Register or LocationKind.State } slice
            && (mask.Value & hardwareMask) == hardwareMask)
        {
            return slice.Left;
        }

        return Locate(count);
    }

    private JitValue Compare(JitBinary op, JitValue left, JitValue right)
    {
        if (op is JitBinary.Eq or JitBinary.Ne && right is { IsConstant: true, Constant: 0 } && IsUnmaterialized(left, DeferredKind.And)
            && _deferred[left.Slot].Right.Kind is LocationKind.Immediate or LocationKind.Register && _deferred[left.Slot].Left.Kind is LocationKind.Register or LocationKind.State)
        {
            DeferredOp and = _deferred[left.Slot];
            switch (and.Left.Kind, and.Right.Kind)
            {
                case (LocationKind.Register, LocationKind.Immediate): _a.test(R32(and.Left.Register), (int)(uint)and.Right.Value); break;
                case (LocationKind.Register, _): _a.test(R32(and.Left.Register), R32(and.Right.Register)); break;
                case (_, LocationKind.Immediate): _a.test(__dword_ptr[rbx + and.Left.Offset], (int)(uint)and.Right.Value); break;
                default: _a.test(__dword_ptr[rbx + and.Left.Offset], R32(and.Right.Register)); break;
            }

            Release(left);
            int t = AllocateTemp();
            _pendingFlags = (t, op == JitBinary.Eq ? ConditionCode.e : ConditionCode.ne);
            if (and.Right.Kind == LocationKind.Immediate)
            {
                NoteTest(t, and.Left, and.Right.Value);
            }

            return Temp(t, JitType.Bool);
        }

        bool wide = left.Type.Bits > 32;
        bool signed = left.Type.Signed;
        // A 32-bit comparison reads the low halves: an s32 not sign-extended yet is compared where it is.
        Location l = wide ? Locate(left) : Low32Source(left) ?? Locate(left), r = wide ? Locate(right) : Low32Source(right) ?? Locate(right);
        if (l.Kind == LocationKind.Immediate)
        {
            (l, r) = (r, l);
            op = op switch { JitBinary.Lt => JitBinary.Gt, JitBinary.Gt => JitBinary.Lt, JitBinary.Le => JitBinary.Ge, JitBinary.Ge => JitBinary.Le, _ => op };
        }

        if (l.Kind == LocationKind.State && (r.Kind == LocationKind.State || (wide && l.Bytes != 8)))
        {
            MoveTo(Rax, l);
            l = Location.InRegister(Rax);
        }

        if ((r.Kind == LocationKind.Immediate && wide && (long)r.Value != (int)r.Value) || (r.Kind == LocationKind.State && wide && r.Bytes != 8))
        {
            MoveTo(Rcx, r);
            r = Location.InRegister(Rcx);
        }

        if (l.Kind == LocationKind.State)
        {
            AssemblerMemoryOperand m = wide ? __qword_ptr[rbx + l.Offset] : __dword_ptr[rbx + l.Offset];
            if (r.Kind == LocationKind.Immediate)
            {
                _a.cmp(m, wide ? (int)(long)r.Value : (int)(uint)r.Value);
            }
            else if (wide)
            {
                _a.cmp(m, R64(r.Register));
            }
            else
            {
                _a.cmp(m, R32(r.Register));
            }
        }
        else
        {
            switch (r.Kind)
            {
                // test sets the flags as cmp with 0 does (CF and OF clear) in two bytes less.
                case LocationKind.Immediate when wide && r.Value == 0: _a.test(R64(l.Register), R64(l.Register)); break;
                case LocationKind.Immediate when r.Value == 0: _a.test(R32(l.Register), R32(l.Register)); break;
                case LocationKind.Immediate when wide: _a.cmp(R64(l.Register), (int)(long)r.Value); break;
                case LocationKind.Immediate: _a.cmp(R32(l.Register), (int)(uint)r.Value); break;
                case LocationKind.Register when wide: _a.cmp(R64(l.Register), R64(r.Register)); break;
                case LocationKind.Register: _a.cmp(R32(l.Register), R32(r.Register)); break;
                case LocationKind.State when wide: _a.cmp(R64(l.Register), __qword_ptr[rbx + r.Offset]); break;
                default: _a.cmp(R32(l.Register), __dword_ptr[rbx + r.Offset]); break;
            }
        }

        Release(left);
        Release(right);
        ConditionCode cc = op switch
        {
            JitBinary.Eq => ConditionCode.e,
            JitBinary.Ne => ConditionCode.ne,
            JitBinary.Lt => signed ? ConditionCode.l : ConditionCode.b,
            JitBinary.Le => signed ? ConditionCode.le : ConditionCode.be,
            JitBinary.Gt => signed ? ConditionCode.g : ConditionCode.a,
            _ => signed ? ConditionCode.ge : ConditionCode.ae,
        };
        int d = AllocateTemp();
        _pendingFlags = (d, cc);
        return Temp(d, JitType.Bool);
    }

    /// <summary>Division as the spec's runtime defines it: no host trap, fixed results for a zero divisor and overflow.</summary>
    private JitValue Divide(JitBinary op, JitValue left, JitValue right, JitType type)
    {
        bool wide = type.Bits > 32;
        bool signed = type.Signed;
        MoveTo(Rax, Locate(left));
        MoveTo(Rcx, Locate(right));
        Release(left);
        Release(right);
        Label zero = _a.CreateLabel(), minusOne = _a.CreateLabel(), done = _a.CreateLabel();
        if (wide)
        {
            _a.test(rcx, rcx);
        }
        else
        {
            _a.test(ecx, ecx);
        }

        _a.je(zero);
        if (signed)
        {
            if (wide)
            {
                _a.cmp(rcx, -1);
                _a.je(minusOne);
                _a.cqo();
                _a.idiv(rcx);
            }
            else
            {
                _a.cmp(ecx, -1);
                _a.je(minusOne);
                _a.cdq();
                _a.idiv(ecx);
            }
        }
        else if (wide)
        {
            _a.xor(edx, edx);
            _a.div(rcx);
        }
        else
        {
            _a.xor(edx, edx);
            _a.div(ecx);
        }

        if (op == JitBinary.Rem)
        {
            _a.mov(rax, rdx);
        }

        _a.jmp(done);
        Bind(ref zero);
        if (op == JitBinary.Div)
        {
            _a.mov(rax, -1L); // all ones: -1 signed, the maximum unsigned (narrowed below)
        }
        else
        {
            _a.nop(); // the remainder of a division by zero is the dividend, already in RAX
        }

        if (signed)
        {
            _a.jmp(done);
            Bind(ref minusOne);
            if (op == JitBinary.Div)
            {
                if (wide)
                {
                    _a.neg(rax);
                }
                else
                {
                    _a.neg(eax);
                }
            }
            else
            {
                _a.xor(eax, eax);
            }
        }

        Bind(ref done);
        int d = AllocateTemp();
        _a.mov(R64(d), rax);
        Normalize(d, type, false);
        return Temp(d, type);
    }

    public JitValue Convert(JitValue operand, JitType type)
    {
        if (!_dead && operand.IsConstant)
        {
            return Constant(operand.Constant, type); // no code: nothing pending needs emitting first
        }

        if (_pendingLoad is { } load && operand.Kind == JitValueKind.Temporary && operand.Slot == load.Register)
        {
            if (FoldExtension(load.Extension, load.Bytes * 8, type) is { } extension)
            {
                _pendingLoad = load with { Extension = extension };
                return Temp(load.Register, type);
            }

            FlushLoad();
        }

        if (IsPendingFlags(operand) && type.Canonical(1) == 1)
        {
            return operand with { Type = type }; // 0 or 1 in any type that has a 1: still the comparison
        }

        if (!IsPendingFlags(operand) && operand.Kind != JitValueKind.Deferred && !operand.Type.IsBool && !type.IsBool
            && !(type.Bits < operand.Type.Bits || (type.Bits == operand.Type.Bits && type.Signed != operand.Type.Signed) || (operand.Type.Signed && !type.Signed && type.Bits < 64)))
        {
            // A widening that keeps the canonical form: no code, so a pending comparison stays in the flags.
            return _dead ? Dead(type) : operand.IsConstant ? Constant(operand.Constant, type) : operand with { Type = type };
        }

        FlushFlags();
        if (_dead)
        {
            Release(operand);
            return Dead(type);
        }

        if (operand.IsConstant)
        {
            return Constant(operand.Constant, type);
        }

        JitType from = operand.Type;
        if (type.IsBool)
        {
            if (from.IsBool)
            {
                return operand;
            }

            TestNonZero(operand);
            Release(operand);
            int b = AllocateTemp();
            _a.setne(R8(b));
            _a.movzx(R32(b), R8(b));
            return Temp(b, type);
        }

        // Canonical values are extended by their own signedness: narrowing, a change of signedness at one
        // width, and a sign-extended value widened to a narrower-than-64-bit unsigned type need work.
        bool changes = !from.IsBool && (type.Bits < from.Bits
            || (type.Bits == from.Bits && type.Signed != from.Signed)
            || (from.Signed && !type.Signed && type.Bits < 64));
        if (!changes)
        {
            return operand with { Type = type };
        }

        if (from.Bits == 32 && type.Bits == 32 && operand.Kind == JitValueKind.Deferred && _deferred[operand.Slot].Materialized < 0)
        {
            // u32 <-> s32 of a 32-bit operation not computed yet: only its extension changes.
            return Redefer(operand, type);
        }

        if (type == JitType.S32 && from == JitType.U32 && Locate(operand) is var word && (word.Kind == LocationKind.Register || IsStateWord(word)))
        {
            // Sign-extended where it is used: a 32-bit comparison or shift reads the register as it is.
            return Defer(DeferredKind.Copy, operand, word, Constant(0, JitType.U32), Location.Immediate(0), type);
        }

        if (operand.Kind is JitValueKind.GuestRegister or JitValueKind.Variable or JitValueKind.Pinned && Locate(operand) is { Kind: LocationKind.Register } held
            && type.Bits is 8 or 16 or 32)
        {
            // One extension from where the value is, not a copy then an extension in place.
            int t = AllocateTemp();
            ExtendFrom(t, held.Register, type);
            Release(operand);
            return Temp(t, type);
        }

        int d = IntoNewTemp(operand);
        Normalize(d, type, false);
        return Temp(d, type);
    }

    /// <summary>Writes <paramref name="d"/> with the canonical form of <paramref name="type"/> (8, 16 or 32 bits) of register <paramref name="s"/>.</summary>
    private void ExtendFrom(int d, int s, JitType type)
    {
        switch (type.Bits, type.Signed)
        {
            case (32, true): _a.movsxd(R64(d), R32(s)); break;
            case (32, false): _a.mov(R32(d), R32(s)); break;
            case (16, true): _a.movsx(R64(d), R16(s)); break;
            case (16, false): _a.movzx(R32(d), R16(s)); break;
            case (_, true): _a.movsx(R64(d), R8(s)); break;
            default: _a.movzx(R32(d), R8(s)); break;
        }
    }

    public JitValue Slice(JitValue operand, int high, int low)
    {
        FlushFlags();
        JitType type = new(high - low + 1, false);
        if (_dead)
        {
            Release(operand);
            return Dead(type);
        }

        JitType from = operand.Type;
        if (operand.IsConstant)
        {
            return Constant((operand.Constant & from.Mask) >> low, type);
        }

        if (low == 0 && high < 31 && from.Bits <= 32 && Locate(operand) is { Kind: LocationKind.Register } source)
        {
            // The low bits of a register wait for their use like a 32-bit and: a shift takes them
            // as its count as they are, a test against zero folds them (x86 masks as the IR does).
            return Defer(DeferredKind.And, operand, source, Constant((1UL << (high + 1)) - 1, from), Location.Immediate((1UL << (high + 1)) - 1), type);
        }

        int d = IntoNewTemp(operand);
        if (from.Signed && high >= from.Bits)
        {
            Normalize(d, new JitType(from.Bits, false), false);
        }

        if (low > 0)
        {
            _a.shr(R64(d), (byte)(low));
        }

        if (high - low + 1 < 64)
        {
            Normalize(d, type, false);
        }

        return Temp(d, type);
    }

    public JitValue Select(JitValue condition, JitValue whenTrue, JitValue whenFalse)
    {
        // Materializing a deferred and would clobber a pending comparison: turn it into a value first.
        bool flags = IsPendingFlags(condition) && !MaterializingClobbersFlags(whenTrue) && !MaterializingClobbersFlags(whenFalse);
        if (!flags)
        {
            FlushFlags();
        }

        if (_dead)
        {
            Release(condition);
            Release(whenTrue);
            Release(whenFalse);
            return Dead(whenTrue.Type);
        }

        if (condition.IsConstant)
        {
            Release(condition);
            Release(condition.Constant != 0 ? whenFalse : whenTrue);
            return condition.Constant != 0 ? whenTrue : whenFalse;
        }

        if (flags && whenTrue.IsConstant && whenFalse.IsConstant && whenTrue.Constant + whenFalse.Constant == 1 && (whenTrue.Constant | whenFalse.Constant) == 1)
        {
            // 1 or 0 by the comparison: still the comparison, pending in the flags, so a guest register
            // written with it gets its setcc straight into its home.
            ConditionCode set = whenTrue.Constant == 1 ? _pendingFlags!.Value.Condition : Negate(_pendingFlags!.Value.Condition);
            _pendingFlags = (condition.Slot, set);
            return Temp(condition.Slot, whenTrue.Type);
        }

        // Only moves until the cmov: they leave a pending comparison's flags intact.
        ConditionCode cc = ConditionCode.ne;
        if (flags)
        {
            cc = _pendingFlags!.Value.Condition;
            _pendingFlags = null;
        }

        int d = IntoNewTemp(whenFalse);
        int t = InRegister(whenTrue, Rdx);
        if (!flags)
        {
            TestNonZero(condition);
        }

        Release(condition);
        Release(whenTrue);
        ConditionalMove(cc, d, t);
        return Temp(d, whenTrue.Type);
    }

    public JitValue Intrinsic(JitIntrinsic op, JitValue operand, JitValue amount, JitType type)
    {
        FlushFlags();
        if (_dead)
        {
            Release(operand);
            Release(amount);
            return Dead(type);
        }

        int bits = type.Bits;
        if (operand.IsConstant && amount.IsConstant)
        {
            ulong v = operand.Constant & type.Mask;
            int n = (int)amount.Constant;
            return Constant(op switch
            {
                JitIntrinsic.LeadingZeros => GuestBits.LeadingZeros(v, bits),
                JitIntrinsic.TrailingZeros => GuestBits.TrailingZeros(v, bits),
                JitIntrinsic.PopCount => (ulong)System.Numerics.BitOperations.PopCount(v),
                JitIntrinsic.BitReverse => GuestBits.Reverse(v, bits),
                JitIntrinsic.ByteSwap => GuestBits.SwapBytes(v, bits),
                JitIntrinsic.RotateRight => GuestBits.RotateRight(v, n, bits),
                _ => GuestBits.RotateLeft(v, n, bits),
            }, type);
        }

        bool supported = (bits == 32 || bits == 64) && op switch
        {
            JitIntrinsic.LeadingZeros => (HostFeatures & HostFeatures.Lzcnt) != 0,
            JitIntrinsic.TrailingZeros => (HostFeatures & HostFeatures.Bmi1) != 0,
            JitIntrinsic.PopCount => (HostFeatures & HostFeatures.Popcnt) != 0,
            JitIntrinsic.BitReverse => false,
            _ => true,
        };
        if (!supported)
        {
            throw new JitUnsupportedException($"{op} of {type} on this host");
        }

        bool wide = bits == 64;
        if (op is JitIntrinsic.RotateRight or JitIntrinsic.RotateLeft && amount.IsConstant && type == JitType.U32 && operand.Type == type
            && Locate(operand) is { Kind: LocationKind.Register } source)
        {
            int n = (int)(amount.Constant % 32);
            n = op == JitIntrinsic.RotateLeft ? (32 - n) % 32 : n;
            return n == 0 ? operand : Defer(DeferredKind.Ror, operand, source, amount, Location.Immediate((ulong)n), type);
        }

        int d = IntoNewTemp(operand);
        if (op is JitIntrinsic.RotateRight or JitIntrinsic.RotateLeft)
        {
            if (amount.IsConstant)
            {
                int n = (int)(amount.Constant % (ulong)bits);
                if (op == JitIntrinsic.RotateLeft)
                {
                    n = (bits - n) % bits;
                }

                if (wide)
                {
                    _a.ror(R64(d), (byte)(n));
                }
                else
                {
                    _a.ror(R32(d), (byte)(n));
                }
            }
            else
            {
                MoveTo(Rcx, Locate(amount));
                Release(amount);
                switch (op == JitIntrinsic.RotateRight, wide)
                {
                    case (true, true): _a.ror(R64(d), cl); break;
                    case (true, false): _a.ror(R32(d), cl); break;
                    case (false, true): _a.rol(R64(d), cl); break;
                    default: _a.rol(R32(d), cl); break;
                }
            }
        }
        else
        {
            Release(amount);
            switch (op, wide)
            {
                case (JitIntrinsic.LeadingZeros, true): _a.lzcnt(R64(d), R64(d)); break;
                case (JitIntrinsic.LeadingZeros, false): _a.lzcnt(R32(d), R32(d)); break;
                case (JitIntrinsic.TrailingZeros, true): _a.tzcnt(R64(d), R64(d)); break;
                case (JitIntrinsic.TrailingZeros, false): _a.tzcnt(R32(d), R32(d)); break;
                case (JitIntrinsic.PopCount, true): _a.popcnt(R64(d), R64(d)); break;
                case (JitIntrinsic.PopCount, false): _a.popcnt(R32(d), R32(d)); break;
                case (_, true): _a.bswap(R64(d)); break;
                default: _a.bswap(R32(d)); break;
            }
        }

        Normalize(d, type, !wide);
        return Temp(d, type);
    }

    // ---- guest memory ----

    public JitValue Load(int bytes, JitValue address)
    {
        FlushFlags();
        JitType type = new(bytes * 8, false);
        if (_dead)
        {
            Release(address);
            return Dead(type);
        }

        AssemblerMemoryOperand m = GuestOperand(bytes, address);
        int d = TakeOwnedRegister(address) ?? AllocateTemp();
        if (bytes <= 2 || (bytes == 4 && !BigEndian))
        {
            // Emitted by the next operation: a sign extension that follows becomes the load's own (movsx).
            _pendingLoad = new PendingLoad(d, m, bytes, LoadExtension.Zero);
            return Temp(d, type);
        }

        switch (bytes)
        {
            case 1:
                _a.movzx(R32(d), m);
                break;
            case 2:
                _a.movzx(R32(d), m);
                if (BigEndian)
                {
                    _a.rol(R16(d), (byte)(8));
                }

                break;
            case 4 when BigEndian && UsesMovbe:
                _a.movbe(R32(d), m);
                break;
            case 4:
                _a.mov(R32(d), m);
                if (BigEndian)
                {
                    _a.bswap(R32(d));
                }

                break;
            case 8 when BigEndian && UsesMovbe:
                _a.movbe(R64(d), m);
                break;
            default:
                _a.mov(R64(d), m);
                if (BigEndian)
                {
                    _a.bswap(R64(d));
                }

                break;
        }

        return Temp(d, type);
    }

    public void Store(int bytes, JitValue address, JitValue value)
    {
        FlushFlags();
        if (_dead)
        {
            Release(address);
            Release(value);
            return;
        }

        _guestWritten = true;
        AssemblerMemoryOperand m = GuestOperand(bytes, address);
        Location v = Locate(value);
        if (v.Kind == LocationKind.Immediate && (bytes < 8 || (long)v.Value == (int)v.Value || BigEndian))
        {
            ulong imm = BigEndian ? GuestBits.SwapBytes(v.Value & ((bytes == 8) ? ulong.MaxValue : (1UL << (bytes * 8)) - 1), bytes * 8) : v.Value;
            switch (bytes)
            {
                case 1: _a.mov(m, (byte)imm); break;
                case 2: _a.mov(m, (short)imm); break;
                case 4: _a.mov(m, (int)imm); break;
                default:
                    if ((long)imm == (int)imm)
                    {
                        _a.mov(m, (int)imm);
                    }
                    else
                    {
                        _a.mov(rdx, imm);
                        _a.mov(m, rdx);
                    }

                    break;
            }
        }
        else
        {
            int r = InRegister(value, Rdx);
            if (BigEndian && bytes > 1 && !UsesMovbe)
            {
                _a.mov(rdx, R64(r));
                r = Rdx;
                switch (bytes)
                {
                    case 2: _a.rol(dx, 8); break;
                    case 4: _a.bswap(edx); break;
                    default: _a.bswap(rdx); break;
                }
            }

            bool swap = BigEndian && UsesMovbe;
            switch (bytes)
            {
                case 1: _a.mov(m, R8(r)); break;
                case 2 when swap: _a.movbe(m, R16(r)); break;
                case 2: _a.mov(m, R16(r)); break;
                case 4 when swap: _a.movbe(m, R32(r)); break;
                case 4: _a.mov(m, R32(r)); break;
                case 8 when swap: _a.movbe(m, R64(r)); break;
                default: _a.mov(m, R64(r)); break;
            }
        }

        Release(address);
        Release(value);
    }

    public JitValue CompareAndSwap(int bytes, JitValue address, JitValue expected, JitValue value)
    {
        FlushFlags();
        _guestWritten = true;
        if (_dead || bytes != 4)
        {
            Release(address);
            Release(expected);
            Release(value);
            return bytes != 4 && !_dead ? throw new JitUnsupportedException($"{bytes}-byte compare-and-swap") : Dead(JitType.Bool);
        }

        // CMPXCHG compares with EAX: the address must not use it, so it goes to RDX when it needs a register.
        Location a = Locate(address);
        if (a.Kind != LocationKind.Register)
        {
            MoveTo(Rdx, a);
            a = Location.InRegister(Rdx);
        }

        Location e = Locate(expected), v = Locate(value); // materializing may use RAX: before loading it
        MoveTo(Rax, e);
        MoveTo(Rcx, v);
        if (BigEndian)
        {
            _a.bswap(eax);
            _a.bswap(ecx);
        }

        _a.@lock.cmpxchg(Guest(4, a.Register), ecx);
        Release(address);
        Release(expected);
        Release(value);
        int d = AllocateTemp();
        _pendingFlags = (d, ConditionCode.e);
        return Temp(d, JitType.Bool);
    }

    /// <summary>The guest memory operand of an address; <c>x + imm</c> becomes a displacement (it wraps in 32-bit addressing).</summary>
    private AssemblerMemoryOperand GuestOperand(int bytes, JitValue address)
    {
        DeferredOp? folded = IsUnmaterialized(address, DeferredKind.Add) ? _deferred[address.Slot] : LazyAddress(address);
        if (_addressing != MemoryAddressing.BaseRegister && folded is { Right.Kind: LocationKind.Immediate, Left.Kind: LocationKind.Register } add)
        {
            AssemblerMemoryOperandFactory size = bytes switch { 1 => __byte_ptr, 2 => __word_ptr, 4 => __dword_ptr, _ => __qword_ptr };
            return Segment(size)[R32(add.Left.Register) + (int)(uint)add.Right.Value];
        }

        if (_addressing != MemoryAddressing.BaseRegister && folded is { Right.Kind: LocationKind.Immediate, Left.Kind: LocationKind.State } fromState)
        {
            // A register without a home: loaded into the scratch register, the displacement folded (no add).
            AssemblerMemoryOperandFactory size = bytes switch { 1 => __byte_ptr, 2 => __word_ptr, 4 => __dword_ptr, _ => __qword_ptr };
            _a.mov(eax, __dword_ptr[rbx + fromState.Left.Offset]);
            return Segment(size)[eax + (int)(uint)fromState.Right.Value];
        }

        return Guest(bytes, AddressRegister(address));
    }

    /// <summary>The register an owned value holds, handed over to the caller (null if the value owns none).</summary>
    private int? TakeOwnedRegister(JitValue v)
    {
        if (v.Kind == JitValueKind.Temporary)
        {
            return v.Slot;
        }

        if (v.Kind == JitValueKind.Deferred && _deferred[v.Slot].Owned is var owned and >= 0)
        {
            _deferred[v.Slot] = _deferred[v.Slot] with { Owned = -1 };
            return owned;
        }

        return null;
    }

    /// <summary>A register holding the 32-bit guest address zero-extended (canonical u32).</summary>
    private int AddressRegister(JitValue address)
    {
        Location l = Locate(address);
        if (l.Kind == LocationKind.Register)
        {
            return l.Register;
        }

        if (l.Kind == LocationKind.Immediate)
        {
            _a.mov(eax, (uint)l.Value);
        }
        else
        {
            _a.mov(eax, __dword_ptr[rbx + l.Offset]);
        }

        return Rax;
    }

    private AssemblerMemoryOperand Guest(int bytes, int addressRegister)
    {
        AssemblerMemoryOperandFactory size = bytes switch { 1 => __byte_ptr, 2 => __word_ptr, 4 => __dword_ptr, _ => __qword_ptr };
        return _addressing == MemoryAddressing.BaseRegister
            ? size[r15 + R64(addressRegister)]
            : Segment(size)[R32(addressRegister)];
    }

    private AssemblerMemoryOperandFactory Segment(AssemblerMemoryOperandFactory size) => _addressing == MemoryAddressing.FsSegment ? size.fs : size.gs;

    /// <summary>How a pending byte or halfword load extends into its register.</summary>
    private enum LoadExtension
    {
        Zero,
        Sign64,

        /// <summary>Sign-extended to 32 bits, zero above (a sign-extended value as u32).</summary>
        Sign32,
    }

    private readonly record struct PendingLoad(int Register, AssemblerMemoryOperand Operand, int Bytes, LoadExtension Extension);

    /// <summary>
    /// The extension that gives the canonical form of <paramref name="to"/> from a loaded value of
    /// <paramref name="loadedBits"/> held as <paramref name="extension"/>, or null if it takes more than one instruction.
    /// </summary>
    private static LoadExtension? FoldExtension(LoadExtension extension, int loadedBits, JitType to)
    {
        if (to.IsBool || to.Bits < loadedBits)
        {
            return null;
        }

        if (extension == LoadExtension.Sign32 && to.Bits == 64)
        {
            return LoadExtension.Sign32; // the register's 64-bit pattern as it is
        }

        // The low to.Bits bits hold the loaded value zero- or sign-extended; the canonical form extends them by to's signedness.
        bool signExtended = extension != LoadExtension.Zero;
        if (to.Signed)
        {
            return !signExtended && to.Bits > loadedBits ? LoadExtension.Zero : LoadExtension.Sign64;
        }

        if (!signExtended || to.Bits == loadedBits)
        {
            return LoadExtension.Zero;
        }

        return to.Bits switch { 32 => LoadExtension.Sign32, 64 => LoadExtension.Sign64, _ => null };
    }

    /// <summary>Emits the pending load (every operation but a foldable extension of it does so first).</summary>
    private void FlushLoad()
    {
        if (_pendingLoad is not { } load)
        {
            return;
        }

        _pendingLoad = null;
        EmitLoad(load);
    }

    private void EmitLoad(PendingLoad load)
    {
        AssemblerRegister32 r32 = R32(load.Register);
        AssemblerRegister64 r64 = R64(load.Register);
        switch (load.Bytes, load.Extension)
        {
            case (4, LoadExtension.Sign64): _a.movsxd(r64, load.Operand); break;
            case (4, _): _a.mov(r32, load.Operand); break; // a sign extension to 32 bits is the value itself
            case (2, _) when BigEndian:
                // Swapped as a whole word first, then extended as asked.
                _a.movzx(r32, load.Operand);
                _a.rol(R16(load.Register), 8);
                if (load.Extension != LoadExtension.Zero)
                {
                    if (load.Extension == LoadExtension.Sign64)
                    {
                        _a.movsx(r64, R16(load.Register));
                    }
                    else
                    {
                        _a.movsx(r32, R16(load.Register));
                    }
                }

                break;
            case (_, LoadExtension.Zero): _a.movzx(r32, load.Operand); break;
            case (_, LoadExtension.Sign64): _a.movsx(r64, load.Operand); break;
            default: _a.movsx(r32, load.Operand); break;
        }
    }

    /// <summary>Brings a register back to canonical form for its type after an operation.</summary>
    private void Normalize(int r, JitType type, bool after32BitOperation)
    {
        int bits = type.Bits;
        if (type.IsBool || bits >= 64)
        {
            return;
        }

        switch (bits)
        {
            case 32 when type.Signed:
                _a.movsxd(R64(r), R32(r));
                break;
            case 32:
                if (!after32BitOperation)
                {
                    _a.mov(R32(r), R32(r));
                }

                break;
            case 16 when type.Signed:
                _a.movsx(R64(r), R16(r));
                break;
            case 16:
                _a.movzx(R32(r), R16(r));
                break;
            case 8 when type.Signed:
                _a.movsx(R64(r), R8(r));
                break;
            case 8:
                _a.movzx(R32(r), R8(r));
                break;
            default:
                if (type.Signed)
                {
                    _a.shl(R64(r), (byte)(64 - bits));
                    _a.sar(R64(r), (byte)(64 - bits));
                }
                else if (bits < 32)
                {
                    _a.and(R32(r), (int)type.Mask);
                }
                else
                {
                    _a.mov(rcx, type.Mask);
                    _a.and(R64(r), rcx);
                }

                break;
        }
    }

    private void SetCondition(ConditionCode cc, int r)
    {
        AssemblerRegister8 b = R8(r);
        switch (cc)
        {
            case ConditionCode.e: _a.sete(b); break;
            case ConditionCode.ne: _a.setne(b); break;
            case ConditionCode.l: _a.setl(b); break;
            case ConditionCode.le: _a.setle(b); break;
            case ConditionCode.g: _a.setg(b); break;
            case ConditionCode.ge: _a.setge(b); break;
            case ConditionCode.b: _a.setb(b); break;
            case ConditionCode.be: _a.setbe(b); break;
            case ConditionCode.a: _a.seta(b); break;
            default: _a.setae(b); break;
        }
    }

    private void JumpIf(ConditionCode cc, Label target)
    {
        switch (cc)
        {
            case ConditionCode.e: _a.je(target); break;
            case ConditionCode.ne: _a.jne(target); break;
            case ConditionCode.l: _a.jl(target); break;
            case ConditionCode.le: _a.jle(target); break;
            case ConditionCode.g: _a.jg(target); break;
            case ConditionCode.ge: _a.jge(target); break;
            case ConditionCode.b: _a.jb(target); break;
            case ConditionCode.be: _a.jbe(target); break;
            case ConditionCode.a: _a.ja(target); break;
            default: _a.jae(target); break;
        }
    }

    /// <summary>A <c>jcc rel32</c> with a zero displacement (to the next instruction) for the engine to link.</summary>
    private void LinkableJumpIf(ConditionCode cc)
    {
        byte opcode = cc switch
        {
            ConditionCode.b => 0x82,
            ConditionCode.ae => 0x83,
            ConditionCode.e => 0x84,
            ConditionCode.ne => 0x85,
            ConditionCode.be => 0x86,
            ConditionCode.a => 0x87,
            ConditionCode.l => 0x8C,
            ConditionCode.ge => 0x8D,
            ConditionCode.le => 0x8E,
            ConditionCode.g => 0x8F,
            _ => throw new ArgumentOutOfRangeException(nameof(cc), cc, "no linkable jump for this condition"),
        };
        _a.db(0x0F, opcode, 0, 0, 0, 0);
    }

    private void ConditionalMove(ConditionCode cc, int d, int s)
    {
        AssemblerRegister64 x = R64(d), y = R64(s);
        switch (cc)
        {
            case ConditionCode.e: _a.cmove(x, y); break;
            case ConditionCode.ne: _a.cmovne(x, y); break;
            case ConditionCode.l: _a.cmovl(x, y); break;
            case ConditionCode.le: _a.cmovle(x, y); break;
            case ConditionCode.g: _a.cmovg(x, y); break;
            case ConditionCode.ge: _a.cmovge(x, y); break;
            case ConditionCode.b: _a.cmovb(x, y); break;
            case ConditionCode.be: _a.cmovbe(x, y); break;
            case ConditionCode.a: _a.cmova(x, y); break;
            default: _a.cmovae(x, y); break;
        }
    }

    private static ConditionCode Negate(ConditionCode cc) => cc switch
    {
        ConditionCode.e => ConditionCode.ne,
        ConditionCode.ne => ConditionCode.e,
        ConditionCode.l => ConditionCode.ge,
        ConditionCode.ge => ConditionCode.l,
        ConditionCode.le => ConditionCode.g,
        ConditionCode.g => ConditionCode.le,
        ConditionCode.b => ConditionCode.ae,
        ConditionCode.ae => ConditionCode.b,
        ConditionCode.be => ConditionCode.a,
        _ => ConditionCode.be,
    };
}
