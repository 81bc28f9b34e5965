using System.Numerics;
using Iced.Intel;
using Isa.Runtime.Jit;

namespace Isa.Backends.Jit.X64;

/// <summary>
/// What the block has proven about guest registers' low bits (a residue modulo a power of two). A
/// checked access tests <c>(x + c) &amp; m</c> and sends the non-zero case to a trap stub, which leaves
/// the block: the code after the test knows <c>x</c>'s low bits, so a later test of the same register
/// (<c>lw a2, -4(v0)</c> then <c>sw v1, -4(v0)</c>) folds to a constant and emits nothing. A write to the
/// register forgets the fact or carries it where exact (<c>x + 4</c>, a copy, a constant, <c>x &amp; -8</c>).
/// Facts die where a path that did not learn them may join: at the else and end of a condition (those
/// learned or changed under it), at a frontend label, at the delay slot's skip label, and after a
/// call-out to the interpreter (<see cref="ForgetKnownValues"/>); the block's loop-back target is bound
/// before the body, where nothing is known yet.
/// </summary>
internal sealed partial class X64Emitter
{
    private const int MaxResidues = 16;

    // Block-wide (cleared with the known values): the facts, oldest first.
    private readonly Residue[] _residues = new Residue[MaxResidues];
    private int _residueCount;

    // The last test of a register's low bits against zero, while its flags are pending: the flags'
    // temporary and the instruction count right after the test identify it.
    private FlagsTest? _flagsTest;

    /// <summary>The low <see cref="Count"/> bits of a value are <see cref="Value"/> (the bits above are zero in it); none known: Count 0.</summary>
    private readonly record struct LowBits(int Count, ulong Value)
    {
        public static LowBits Of(int count, ulong value) => count <= 0 ? default : new(Math.Min(count, 64), value & Mask(count));

        public static ulong Mask(int count) => count >= 64 ? ulong.MaxValue : (1UL << count) - 1;

        public ulong Known => Mask(Count);
    }

    /// <param name="Depth">The condition depth the fact was learned or last changed at: it dies when that condition's frame closes.</param>
    private readonly record struct Residue(int Offset, LowBits Bits, int Depth);

    /// <summary>Flags pending from <c>test</c> of <c>(guest register at Offset + Addend) &amp; Mask</c>.</summary>
    private readonly record struct FlagsTest(int FlagsRegister, int At, int Offset, ulong Addend, ulong Mask);

    private void ForgetResidues()
    {
        _residueCount = 0;
        _flagsTest = null;
    }

    /// <summary>At the else or end of a condition's frame at <paramref name="depth"/>: what its code learned or changed no longer holds.</summary>
    private void ForgetResiduesFrom(int depth)
    {
        for (int i = _residueCount - 1; i >= 0; i--)
        {
            if (_residues[i].Depth >= depth)
            {
                RemoveResidue(i);
            }
        }
    }

    private void RemoveResidue(int i)
    {
        Array.Copy(_residues, i + 1, _residues, i, _residueCount - i - 1);
        _residueCount--;
    }

    private int ResidueIndex(int offset)
    {
        for (int i = 0; i < _residueCount; i++)
        {
            if (_residues[i].Offset == offset)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>What the block knows of the low bits of the guest register at <paramref name="offset"/>.</summary>
    private LowBits ResidueOf(int offset)
    {
        if (_known.TryGetValue(offset, out ulong value))
        {
            return LowBits.Of(RegisterBits(offset), value);
        }

        int i = ResidueIndex(offset);
        return i >= 0 ? _residues[i].Bits : default;
    }

    /// <summary>The register's width: a fact never claims bits above it (a write stores that many).</summary>
    private int RegisterBits(int offset) => FileAt(offset) is >= 0 and int file ? _files[file].Bits : 0;

    /// <summary>The guest register at <paramref name="offset"/> now holds a value with <paramref name="bits"/> known.</summary>
    private void SetResidue(int offset, LowBits bits)
    {
        bits = LowBits.Of(Math.Min(bits.Count, RegisterBits(offset)), bits.Value);
        int i = ResidueIndex(offset);
        if (bits.Count == 0)
        {
            if (i >= 0)
            {
                RemoveResidue(i);
            }

            return;
        }

        if (i >= 0)
        {
            if (_residues[i].Bits != bits)
            {
                // Changed under a condition, it holds only on that path: it dies with the frame.
                _residues[i] = new Residue(offset, bits, _dynamicDepth);
            }

            return;
        }

        if (_residueCount == MaxResidues)
        {
            RemoveResidue(0);
        }

        _residues[_residueCount++] = new Residue(offset, bits, _dynamicDepth);
    }

    /// <summary>
    /// The guest register at <paramref name="offset"/> was written with a value of <paramref name="bits"/>
    /// (computed before the write): lets that remember it as their origin keep only what they knew.
    /// </summary>
    private void RegisterWritten(int offset, LowBits bits)
    {
        for (int i = 0; i < _pins.Count; i++)
        {
            if (_pins[i].OriginOffset == offset)
            {
                _pins[i] = _pins[i] with { OriginOffset = -1, Bits = PinBits(i) };
            }
        }

        SetResidue(offset, bits);
    }

    /// <summary>After a trap took the case <c>(x + addend) &amp; mask != 0</c> away: x's low bits up to mask's lowest zero are known.</summary>
    private void LearnZero(int offset, ulong addend, ulong mask)
    {
        int count = Math.Min(BitOperations.TrailingZeroCount(~mask), RegisterBits(offset));
        if (count > ResidueOf(offset).Count)
        {
            SetResidue(offset, LowBits.Of(count, 0 - addend));
        }
    }

    /// <summary>What is known of a value's low bits; no code is emitted.</summary>
    private LowBits BitsOf(JitValue v) => v.Kind switch
    {
        JitValueKind.Constant => LowBits.Of(64, v.Constant),
        JitValueKind.GuestRegister => BitsAt(Location.InRegister(v.Slot)),
        JitValueKind.Memory => ResidueOf(v.Slot),
        JitValueKind.Pinned => PinBits(v.Slot),
        JitValueKind.Deferred when _deferred[v.Slot].Materialized < 0 => BitsOf(_deferred[v.Slot]),
        _ => default,
    };

    private LowBits BitsAt(Location l) => l.Kind switch
    {
        LocationKind.Immediate => LowBits.Of(64, l.Value),
        LocationKind.Register when HomeOffset(l.Register) is >= 0 and int offset => ResidueOf(offset),
        LocationKind.State => ResidueOf(l.Offset),
        _ => default,
    };

    /// <summary>The low bits of a 32-bit operation not computed yet, from those of its operands (the low bits of a sum, a product, a shift left only depend on theirs).</summary>
    private LowBits BitsOf(DeferredOp d)
    {
        LowBits a = BitsAt(d.Left), b = BitsAt(d.Right);
        int both = Math.Min(Math.Min(a.Count, b.Count), 32);
        switch (d.Op)
        {
            case DeferredKind.Copy: return LowBits.Of(Math.Min(a.Count, 32), a.Value);
            case DeferredKind.Add: return LowBits.Of(both, a.Value + b.Value);
            case DeferredKind.Sub: return LowBits.Of(both, a.Value - b.Value);
            case DeferredKind.Mul: return LowBits.Of(both, a.Value * b.Value);
            case DeferredKind.Xor: return LowBits.Of(both, a.Value ^ b.Value);
            case DeferredKind.Not: return LowBits.Of(Math.Min(a.Count, 32), ~a.Value);
            case DeferredKind.Neg: return LowBits.Of(Math.Min(a.Count, 32), 0 - a.Value);
            case DeferredKind.Shl when d.Right.Kind == LocationKind.Immediate:
                return LowBits.Of(Math.Min(a.Count + (int)d.Right.Value, 32), a.Value << (int)d.Right.Value);
            case DeferredKind.And:
                {
                    // A bit is known where both operands know it, or where either knows it is zero.
                    ulong known = (a.Known & b.Known) | (a.Known & ~a.Value) | (b.Known & ~b.Value);
                    return LowBits.Of(Math.Min(BitOperations.TrailingZeroCount(~known), 32), a.Value & b.Value);
                }

            case DeferredKind.Or:
                {
                    // ... or where either knows it is one.
                    ulong known = (a.Known & b.Known) | (a.Known & a.Value) | (b.Known & b.Value);
                    return LowBits.Of(Math.Min(BitOperations.TrailingZeroCount(~known), 32), a.Value | b.Value);
                }

            default: return default;
        }
    }

    private LowBits PinBits(int pin)
    {
        Pin p = _pins[pin];
        if (p.Deferred >= 0)
        {
            return BitsOf(_deferred[p.Deferred]);
        }

        if (p.SourceRegister >= 0)
        {
            return BitsAt(Location.InRegister(p.SourceRegister));
        }

        if (p.SourceOffset >= 0)
        {
            return ResidueOf(p.SourceOffset);
        }

        if (p.OriginOffset >= 0)
        {
            // Facts learned about the register since the let was taken apply to it too.
            LowBits origin = ResidueOf(p.OriginOffset);
            return origin.Count > p.Bits.Count ? LowBits.Of(Math.Min(origin.Count, 32), origin.Value + p.Addend) : p.Bits;
        }

        return p.Bits;
    }

    /// <summary>The guest register a value is <c>register + addend</c> of (state offset, -1 if none), while that register is unchanged.</summary>
    private (int Offset, ulong Addend) OriginOf(JitValue v)
    {
        switch (v.Kind)
        {
            case JitValueKind.GuestRegister: return (HomeOffset(v.Slot), 0);
            case JitValueKind.Memory: return (v.Slot, 0);
            case JitValueKind.Pinned: return PinOrigin(v.Slot);
            case JitValueKind.Deferred when _deferred[v.Slot] is { Materialized: < 0 } d: return OriginOf(d);
            default: return (-1, 0);
        }
    }

    private (int Offset, ulong Addend) OriginOf(DeferredOp d)
    {
        int offset = d.Left.Kind switch
        {
            LocationKind.Register => HomeOffset(d.Left.Register),
            LocationKind.State => d.Left.Offset,
            _ => -1,
        };
        return (d.Op, d.Right.Kind) switch
        {
            (DeferredKind.Copy, _) => (offset, 0),
            (DeferredKind.Add, LocationKind.Immediate) => (offset, d.Right.Value),
            (DeferredKind.Sub, LocationKind.Immediate) => (offset, 0 - d.Right.Value),
            _ => (-1, 0),
        };
    }

    private (int Offset, ulong Addend) PinOrigin(int pin)
    {
        Pin p = _pins[pin];
        if (p.Deferred >= 0)
        {
            return OriginOf(_deferred[p.Deferred]);
        }

        if (p.SourceRegister >= 0)
        {
            return (HomeOffset(p.SourceRegister), 0);
        }

        return p.SourceOffset >= 0 ? (p.SourceOffset, 0) : (p.OriginOffset, p.Addend);
    }

    /// <summary>The origin of a tested operand: a home, a guest register in the state, or a let's temporary.</summary>
    private (int Offset, ulong Addend) OriginAt(Location l)
    {
        if (l.Kind == LocationKind.State)
        {
            return (l.Offset, 0);
        }

        if (l.Kind != LocationKind.Register)
        {
            return (-1, 0);
        }

        if (HomeOffset(l.Register) is >= 0 and int offset)
        {
            return (offset, 0);
        }

        for (int i = 0; i < _pins.Count; i++)
        {
            if (_pins[i] is { Deferred: < 0, Location.Kind: LocationKind.Register } p && p.Location.Register == l.Register)
            {
                return PinOrigin(i);
            }
        }

        return (-1, 0);
    }

    /// <summary>The state offset of the guest register whose home is host register <paramref name="r"/>, or -1.</summary>
    private int HomeOffset(int r)
    {
        for (int i = 0; i < _homeCount; i++)
        {
            if (_homes[i].Register == r)
            {
                return _homes[i].Offset;
            }
        }

        return -1;
    }

    /// <summary><c>x &amp; m</c> where the block knows x's bits through m's highest: a constant.</summary>
    private bool TryFoldAnd(JitValue left, ulong mask, out ulong value)
    {
        LowBits bits = BitsOf(left);
        value = bits.Value & mask;
        return (LowBitsThrough(mask) & ~bits.Known) == 0;
    }

    /// <summary>Records the test just emitted for <c>(operand) &amp; mask</c>, whose flags are pending in <paramref name="flagsRegister"/>.</summary>
    private void NoteTest(int flagsRegister, Location operand, ulong mask)
    {
        (int offset, ulong addend) = OriginAt(operand);
        _flagsTest = offset >= 0 ? new FlagsTest(flagsRegister, _a.Instructions.Count, offset, addend, mask) : null;
    }

    /// <summary>
    /// The test <paramref name="flags"/> came from, if they are still its flags and a jump taken on
    /// <paramref name="cc"/> is taken exactly when the tested bits are not all zero.
    /// </summary>
    private FlagsTest? TestOf(JitValue flags, ConditionCode cc) =>
        cc == ConditionCode.ne && _flagsTest is { } t && t.FlagsRegister == flags.Slot && t.At == _a.Instructions.Count ? t : null;
}
