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
/// block encoder. One instance serves one thread at a time: its buffers are reused.
/// </summary>
internal sealed class CodeLayout
{
    private const int ShortBranchLength = 2;

    // An x64 instruction is at most 15 bytes, a declared-bytes one (db) at most 16.
    private const int MaxInstructionBytes = 16;

    private readonly ByteWriter _writer = new();
    private readonly Encoder _encoder;
    private Item[] _items = new Item[256];
    private int[] _labelIndex = new int[256];
    private byte[] _plain = new byte[4096];
    private byte[] _output = new byte[4096];

    public CodeLayout() => _encoder = Encoder.Create(64, _writer);

    /// <summary>The bytes of the last successful <see cref="TryEncode"/>: valid until the next call.</summary>
    public ReadOnlySpan<byte> Code => _writer.Buffer.AsSpan(0, _writer.Position);

    /// <summary>
    /// Encodes <paramref name="instructions"/> (an assembler's: a bound label is the IP of its
    /// instruction) as if placed at <paramref name="rip"/>; false when it cannot, with nothing usable.
    /// </summary>
    public bool TryEncode(IReadOnlyList<Instruction> instructions, ulong rip)
    {
        int count = instructions.Count;
        if (_items.Length < count)
        {
            _items = new Item[Math.Max(count, _items.Length * 2)];
        }

        // Which instruction each label id is bound to (ids are small: the assembler counts them from 1).
        Array.Fill(_labelIndex, -1);
        for (int i = 0; i < count; i++)
        {
            ulong id = instructions[i].IP;
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

        // Address-independent instructions are encoded once, into _plain; the rest get their size.
        _writer.Reset(_plain);
        _writer.Reserve(count * MaxInstructionBytes);
        for (int i = 0; i < count; i++)
        {
            Instruction instruction = instructions[i];
            ref Item item = ref _items[i];
            item = default;
            item.Instruction = instruction;
            item.Target = -1;
            if (instruction.OpCount > 0 && instruction.Op0Kind == OpKind.NearBranch64)
            {
                Code code = instruction.Code;
                bool shortable = code.IsJmpShortOrNear() || code.IsJccShortOrNear();
                if ((!shortable && !code.IsCallNear()) || HasPrefixes(instruction))
                {
                    return false;
                }

                item.Kind = ItemKind.Branch;
                item.Target = LabelIndex(instruction.NearBranch64);
                item.Short = shortable && item.Target >= 0;
                item.Instruction.Code = item.Short ? code.ToShortBranch() : code.ToNearBranch();
                item.NearLength = NearLength(code);
                item.Length = item.Short ? ShortBranchLength : item.NearLength;
            }
            else if (instruction.IsIPRelativeMemoryOperand)
            {
                item.Kind = ItemKind.RipRelative;
                item.Target = LabelIndex(instruction.MemoryDisplacement64);
                ulong at = 1UL << 40;
                item.Instruction.MemoryDisplacement64 = at; // any reachable target: the size does not depend on it
                int start = _writer.Position;
                if (!_encoder.TryEncode(item.Instruction, at, out uint length, out _))
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
                if (!_encoder.TryEncode(instruction, rip, out uint length, out _))
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
                        item.Instruction.Code = item.Instruction.Code.ToNearBranch();
                        item.Length = item.NearLength;
                        changed = true;
                    }
                }
            }
        }
        while (changed);

        // The final bytes: copies of the plain ones, branches and RIP-relative operands with their targets.
        _writer.Reset(_output);
        _writer.Reserve(size + MaxInstructionBytes); // an encoding longer than planned is caught after it is written
        for (int i = 0; i < count; i++)
        {
            ref Item item = ref _items[i];
            ulong at = rip + (ulong)item.Offset;
            if (item.Kind == ItemKind.Plain)
            {
                _writer.Append(_plain.AsSpan(item.PlainStart, item.Length));
                continue;
            }

            ulong target = item.Target >= 0 ? rip + (ulong)_items[item.Target].Offset : item.Kind == ItemKind.Branch ? item.Instruction.NearBranch64 : item.Instruction.MemoryDisplacement64;
            if (item.Kind == ItemKind.Branch)
            {
                item.Instruction.NearBranch64 = target;
            }
            else
            {
                item.Instruction.MemoryDisplacement64 = target;
            }

            if (!_encoder.TryEncode(item.Instruction, at, out uint length, out _) || length != item.Length)
            {
                return false;
            }
        }

        _output = _writer.Buffer;
        return _writer.Position == size;
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
        public Instruction Instruction;
        public ItemKind Kind;
        public bool Short;
        public int Target; // instruction index of a label target; -1: an absolute address (or none)
        public int Offset;
        public int Length;
        public int NearLength;
        public int PlainStart;
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
