using Iced.Intel;

namespace Isa.Backends.Jit;

/// <summary>
/// Encodes an <see cref="Assembler"/>'s instructions at a known address with Iced's
/// <see cref="Encoder"/>, the bytes Iced's block encoder would give, at a fraction of its cost
/// (it builds an object per instruction and a result per block; translation paid half its time
/// there). Instructions that do not depend on their address are encoded once; a branch to a label
/// is short when its displacement fits a byte, else near, settled by a few passes over the sizes
/// (branches only ever grow, so the passes end). A branch to an absolute address (the runtime stubs)
/// is near. <see cref="TryEncode"/> declines what it does not handle (a branch with no near form,
/// such as <c>loop</c> or <c>jrcxz</c>, or a target out of rel32 reach); the caller then uses the
/// block encoder. The layout does not depend on the address, so a caller can lay the code out
/// (<see cref="TryLayout"/>), reserve its <see cref="Size"/> and have it written there
/// (<see cref="TryWrite"/>, into the code space's writable view: no copy of the whole block).
/// One instance serves one thread at a time: its buffers are reused.
/// </summary>
internal sealed class CodeLayout
{
    private const int ShortBranchLength = 2;

    // An x64 instruction is at most 15 bytes, a declared-bytes one (db) at most 16.
    private const int MaxInstructionBytes = 16;

    private readonly ByteWriter _writer = new();
    private readonly Encoder _encoder;
    private Item[] _items = new Item[256];
    private Instruction[] _relative = new Instruction[64]; // the branches and RIP-relative instructions, encoded again at their address
    private Instruction[] _copy = new Instruction[256]; // the instructions, copied out of the assembler's list
    private int[] _labelIndex = new int[256];
    private bool[] _targeted = new bool[256];
    private byte[] _plain = new byte[4096];
    private byte[] _output = new byte[4096];
    private readonly byte[] _scratch = new byte[2 * MaxInstructionBytes];
    private int _count;
    private int _codeLength;

    public CodeLayout() => _encoder = Encoder.Create(64, _writer);

    /// <summary>The bytes of the last successful <see cref="TryEncode"/>: valid until the next call.</summary>
    public ReadOnlySpan<byte> Code => _output.AsSpan(0, _codeLength);

    /// <summary>The length of the code the last successful <see cref="TryLayout"/> laid out, wherever it goes.</summary>
    public int Size { get; private set; }

    /// <summary>
    /// Encodes <paramref name="instructions"/> (an assembler's: a bound label is the IP of its
    /// instruction) as if placed at <paramref name="rip"/>, into <see cref="Code"/>; false when it cannot, with nothing usable.
    /// </summary>
    public bool TryEncode(IReadOnlyList<Instruction> instructions, ulong rip)
    {
        _codeLength = 0;
        if (!TryLayout(instructions))
        {
            return false;
        }

        if (_output.Length < Size)
        {
            _output = new byte[Math.Max(Size, _output.Length * 2)];
        }

        if (!TryWrite(_output.AsSpan(0, Size), rip))
        {
            return false;
        }

        _codeLength = Size;
        return true;
    }

    /// <summary>
    /// Lays <paramref name="instructions"/> out (an assembler's: a bound label is the IP of its
    /// instruction): their sizes and offsets, which do not depend on where the code goes, so the
    /// caller can reserve <see cref="Size"/> bytes and have <see cref="TryWrite"/> write there
    /// directly. False when it cannot, with nothing usable.
    /// </summary>
    public bool TryLayout(IReadOnlyList<Instruction> instructions)
    {
        ReadOnlySpan<Instruction> code = CopyOf(instructions);
        int count = code.Length;
        _count = 0;
        if (_items.Length < count)
        {
            _items = new Item[Math.Max(count, _items.Length * 2)];
        }

        // Which instruction each label id is bound to (ids are small: the assembler counts them from 1).
        Array.Fill(_labelIndex, -1);
        for (int i = 0; i < count; i++)
        {
            ulong id = code[i].IP;
            if (id == 0)
            {
                continue;
            }

            if (id >= int.MaxValue / 2)
            {
                return false;
            }

            if ((int)id >= _labelIndex.Length)
            {
                int old = _labelIndex.Length;
                Array.Resize(ref _labelIndex, Math.Max((int)id + 1, old * 2));
                _labelIndex.AsSpan(old).Fill(-1);
            }

            _labelIndex[(int)id] = i;
        }

        // Which instructions a branch or a RIP-relative operand of the block points at (a label on the
        // others only marks a guest instruction's start: nothing outside the block jumps there).
        if (_targeted.Length < count)
        {
            _targeted = new bool[Math.Max(count, _targeted.Length * 2)];
        }

        Array.Clear(_targeted, 0, count);
        int relative = 0;
        for (int i = 0; i < count; i++)
        {
            ref readonly Instruction instruction = ref code[i];
            bool branch = instruction.OpCount > 0 && instruction.Op0Kind == OpKind.NearBranch64;
            if (branch || instruction.IsIPRelativeMemoryOperand)
            {
                relative++;
                int target = LabelIndex(branch ? instruction.NearBranch64 : instruction.MemoryDisplacement64);
                if (target >= 0)
                {
                    _targeted[target] = true;
                }
            }
        }

        if (_relative.Length < relative)
        {
            _relative = new Instruction[Math.Max(relative, _relative.Length * 2)];
        }

        // Address-independent instructions are encoded once, into _plain (the common forms directly,
        // the others by Iced); the rest get their size and are kept, to be encoded at their address.
        _writer.Reset(_plain);
        _writer.Reserve(count * MaxInstructionBytes);
        relative = 0;
        bool fused = false;
        Instruction lea = default;
        for (int i = 0; i < count; i++)
        {
            ref readonly Instruction instruction = ref fused ? ref lea : ref code[i];
            ref Item item = ref _items[i];
            item = default;
            item.Target = -1;
            if (!fused && instruction.Code == Iced.Intel.Code.Shl_rm32_imm8 && TryFuseShiftAdd(code, _targeted, i, out lea))
            {
                // The shift takes no bytes (a label on it lands on the lea), the add becomes the lea.
                item.Kind = ItemKind.Plain;
                item.PlainStart = _writer.Position;
                fused = true;
                continue;
            }

            fused = false;
            if (instruction.OpCount > 0 && instruction.Op0Kind == OpKind.NearBranch64)
            {
                Code branch = instruction.Code;
                bool shortable = branch.IsJmpShortOrNear() || branch.IsJccShortOrNear();
                if ((!shortable && !branch.IsCallNear()) || HasPrefixes(instruction))
                {
                    return false;
                }

                item.Kind = ItemKind.Branch;
                item.Target = LabelIndex(instruction.NearBranch64);
                item.Short = shortable && item.Target >= 0;
                item.Relative = relative;
                ref Instruction kept = ref _relative[relative++];
                kept = instruction;
                kept.Code = item.Short ? branch.ToShortBranch() : branch.ToNearBranch();
                item.NearLength = NearLength(branch);
                item.Length = item.Short ? ShortBranchLength : item.NearLength;
            }
            else if (instruction.IsIPRelativeMemoryOperand)
            {
                item.Kind = ItemKind.RipRelative;
                item.Target = LabelIndex(instruction.MemoryDisplacement64);
                item.Relative = relative;
                ref Instruction kept = ref _relative[relative++];
                kept = instruction;
                ulong at = 1UL << 40;
                kept.MemoryDisplacement64 = at; // any reachable target: the size does not depend on it
                int start = _writer.Position;
                if (!_encoder.TryEncode(kept, at, out uint length, out _))
                {
                    return false;
                }

                _writer.Position = start;
                item.Length = (int)length;
            }
            else
            {
                item.Kind = ItemKind.Plain;
                item.PlainStart = _writer.Position;
                if (CommonEncodings.TryEncode(instruction, _writer.Buffer.AsSpan(_writer.Position, MaxInstructionBytes), out int common))
                {
                    _writer.Position += common;
                    item.Length = common;
                    continue;
                }

                if (!_encoder.TryEncode(instruction, 0, out uint length, out _))
                {
                    return false;
                }

                item.Length = (int)length;
            }
        }

        _plain = _writer.Buffer; // it may have grown

        // Offsets, then short branches that do not reach become near, until nothing changes.
        int size;
        bool changed;
        do
        {
            size = 0;
            for (int i = 0; i < count; i++)
            {
                _items[i].Offset = size;
                size += _items[i].Length;
            }

            changed = false;
            for (int i = 0; i < count; i++)
            {
                ref Item item = ref _items[i];
                if (item.Kind == ItemKind.Branch && item.Short)
                {
                    long displacement = _items[item.Target].Offset - (long)(item.Offset + ShortBranchLength);
                    if (displacement is < sbyte.MinValue or > sbyte.MaxValue)
                    {
                        item.Short = false;
                        ref Instruction kept = ref _relative[item.Relative];
                        kept.Code = kept.Code.ToNearBranch();
                        item.Length = item.NearLength;
                        changed = true;
                    }
                }
            }
        }
        while (changed);

        _count = count;
        Size = size;
        return true;
    }

    /// <summary>
    /// Writes the code of the last successful <see cref="TryLayout"/>, placed at <paramref name="rip"/>,
    /// into <paramref name="destination"/> (<see cref="Size"/> bytes): copies of the plain bytes,
    /// branches and RIP-relative operands with their targets. False when an operand does not reach its target.
    /// </summary>
    public bool TryWrite(Span<byte> destination, ulong rip)
    {
        if (destination.Length != Size)
        {
            throw new ArgumentException($"{destination.Length} bytes for {Size} of code", nameof(destination));
        }

        // Runs of plain instructions are contiguous in _plain as in the code: one copy each.
        int runStart = 0, runPlain = 0, runLength = 0;
        for (int i = 0; i < _count; i++)
        {
            ref Item item = ref _items[i];
            if (item.Kind == ItemKind.Plain)
            {
                if (runLength == 0)
                {
                    runStart = item.Offset;
                    runPlain = item.PlainStart;
                }

                runLength += item.Length;
                continue;
            }

            _plain.AsSpan(runPlain, runLength).CopyTo(destination[runStart..]);
            runLength = 0;
            ref Instruction instruction = ref _relative[item.Relative];
            ulong at = rip + (ulong)item.Offset;
            ulong target = item.Target >= 0 ? rip + (ulong)_items[item.Target].Offset : item.Kind == ItemKind.Branch ? instruction.NearBranch64 : instruction.MemoryDisplacement64;
            if (item.Kind == ItemKind.Branch)
            {
                if (CommonEncodings.TryEncodeBranch(instruction, at, target, destination.Slice(item.Offset, item.Length), out int branchLength) && branchLength == item.Length)
                {
                    continue;
                }

                instruction.NearBranch64 = target;
            }
            else
            {
                instruction.MemoryDisplacement64 = target;
            }

            _writer.Reset(_scratch);
            if (!_encoder.TryEncode(instruction, at, out uint length, out _) || length != item.Length)
            {
                return false;
            }

            _scratch.AsSpan(0, item.Length).CopyTo(destination[item.Offset..]);
        }

        _plain.AsSpan(runPlain, runLength).CopyTo(destination[runStart..]);
        return true;
    }

    private ReadOnlySpan<Instruction> CopyOf(IReadOnlyList<Instruction> instructions)
    {
        int count = instructions.Count;
        if (_copy.Length < count)
        {
            _copy = new Instruction[Math.Max(count, _copy.Length * 2)];
        }

        if (instructions is InstructionList list)
        {
            list.CopyTo(0, _copy, 0, count); // the assembler's: one block copy
        }
        else
        {
            for (int i = 0; i < count; i++)
            {
                _copy[i] = instructions[i];
            }
        }

        return _copy.AsSpan(0, count);
    }

    /// <summary>
    /// <c>shl r32, k; add r32, s32</c> with k = 1..3 (how MIPS and RISC-V index an array: two guest
    /// instructions, <c>sll</c> then <c>addu</c>) is <c>lea r32, [s + r*2^k]</c>: one instruction and one
    /// cycle less on the dependency chain. Only where nothing jumps to the add and the flags the pair
    /// sets are overwritten before anything reads them, control leaves or joins (the lea sets none).
    /// </summary>
    private static bool TryFuseShiftAdd(ReadOnlySpan<Instruction> instructions, bool[] targeted, int i, out Instruction lea)
    {
        const RflagsBits Status = RflagsBits.OF | RflagsBits.SF | RflagsBits.ZF | RflagsBits.AF | RflagsBits.CF | RflagsBits.PF;
        const int FlagsHorizon = 16;
        lea = default;
        if (i + 1 >= instructions.Length)
        {
            return false;
        }

        Instruction shl = instructions[i], add = instructions[i + 1];
        if (shl.Code != Iced.Intel.Code.Shl_rm32_imm8 || shl.Op0Kind != OpKind.Register || shl.Immediate8 is < 1 or > 3
            || add.Code is not (Iced.Intel.Code.Add_rm32_r32 or Iced.Intel.Code.Add_r32_rm32) || add.Op0Kind != OpKind.Register || add.Op1Kind != OpKind.Register
            || add.Op0Register != shl.Op0Register || add.Op1Register == shl.Op0Register || targeted[i + 1])
        {
            return false;
        }

        for (int j = i + 2; j < instructions.Length && j < i + 2 + FlagsHorizon; j++)
        {
            Instruction next = instructions[j];
            if (targeted[j] || next.Code == Iced.Intel.Code.DeclareByte || next.FlowControl != FlowControl.Next || (next.RflagsRead & Status) != 0)
            {
                return false;
            }

            if ((next.RflagsModified & Status) == Status)
            {
                lea = Instruction.Create(Iced.Intel.Code.Lea_r32_m, add.Op0Register,
                    new MemoryOperand(add.Op1Register.GetFullRegister(), shl.Op0Register.GetFullRegister(), 1 << shl.Immediate8));
                return true;
            }
        }

        return false;
    }

    /// <summary>The address of <paramref name="label"/> in the code of the last <see cref="TryEncode"/> placed at <paramref name="rip"/>.</summary>
    public nint LabelAddress(Label label, ulong rip) => (nint)(rip + (ulong)_items[label.InstructionIndex].Offset);

    private int LabelIndex(ulong id) => id < (ulong)_labelIndex.Length ? _labelIndex[(int)id] : -1;

    // Prefixes on a branch (bnd, notrack) would change its sizes; the assembler never adds them unasked.
    private static bool HasPrefixes(in Instruction instruction) =>
        instruction.HasRepePrefix || instruction.HasRepnePrefix || instruction.SegmentPrefix != Register.None || instruction.HasLockPrefix;

    private static int NearLength(Code code) => code.IsJccShortOrNear() ? 6 : 5; // 0F 8x rel32; E9/E8 rel32

    private enum ItemKind : byte
    {
        Plain,
        Branch,
        RipRelative,
    }

    private struct Item
    {
        public ItemKind Kind;
        public bool Short;
        public int Target; // instruction index of a label target; -1: an absolute address (or none)
        public int Offset;
        public int Length;
        public int NearLength;
        public int PlainStart;
        public int Relative; // a branch's or RIP-relative instruction's index in _relative
    }

    /// <summary>Iced writes here: a growable byte array.</summary>
    private sealed class ByteWriter : CodeWriter
    {
        public byte[] Buffer { get; private set; } = [];

        public int Position { get; set; }

        public void Reset(byte[] buffer)
        {
            Buffer = buffer;
            Position = 0;
        }

        public void Append(ReadOnlySpan<byte> bytes)
        {
            Reserve(bytes.Length);
            bytes.CopyTo(Buffer.AsSpan(Position));
            Position += bytes.Length;
        }

        // Room for the whole block is reserved up front: no check per byte (the array's own bounds check remains).
        public override void WriteByte(byte value) => Buffer[Position++] = value;

        public void Reserve(int bytes)
        {
            if (Position + bytes > Buffer.Length)
            {
                byte[] larger = new byte[Math.Max(Buffer.Length * 2, Position + bytes + 256)];
                Buffer.AsSpan(0, Position).CopyTo(larger);
                Buffer = larger;
            }
        }
    }
}
