using Iced.Intel;
using Isa.Backends.Host;

namespace Isa.Backends.Jit;

/// <summary>
/// One engine's code space: a chunk of the process's JIT memory (<see cref="JitCode.Shared"/>, one
/// W^X region, so the fault handler knows translated code by its address range), where assembled
/// code is placed and link jumps are patched. Full, it is reset by the engine (a flush); disposed,
/// its chunk serves the next engine.
/// </summary>
internal sealed class CodeBuffer : IDisposable
{
    private static readonly Lazy<ExecutableMemory> SharedMemory = new(() =>
    {
        ExecutableMemory memory = JitCode.Shared;
        JitFaultHandler.Install(memory.Start, memory.End, JitContext.FaultRip, JitContext.FaultAddress, JitContext.FaultLanding);
        return memory;
    });

    /// <summary>Room left after each piece of code (never executed: a margin so no code ends on the last byte of the space).</summary>
    private const int Padding = 64;

    private readonly CodeSpace _space;
    private readonly CodeLayout _layout = new();
    private readonly Lock _lock = new();

    /// <exception cref="ExecutableMemoryFullException">The process's JIT memory has no chunk of that size free.</exception>
    public CodeBuffer(long capacity) => _space = new CodeSpace(SharedMemory.Value, capacity);

    /// <summary>Creates the process's code memory, its fault handler and Iced's encoder tables.</summary>
    public static void Prepare()
    {
        _ = SharedMemory.Value;
        _ = new CodeLayout();
    }

    public nint Start => _space.Start;

    public nint End => _space.End;

    public long Capacity => _space.Capacity;

    public long Used => _space.Used;

    /// <summary>Bytes a block may take: the space less what survives a reset.</summary>
    public long Room => _space.Capacity - _space.Kept - Padding;

    /// <summary>Assembles at the next free address and copies the code there.</summary>
    /// <exception cref="ExecutableMemoryFullException">The space is full.</exception>
    public Placed Place(Assembler assembler, ReadOnlySpan<Label> labels)
    {
        var addresses = new nint[labels.Length];
        return TryPlace(assembler, labels, addresses, out nint start, out int size)
            ? new Placed(start, size, addresses)
            : throw new ExecutableMemoryFullException($"the JIT code space of {_space.Capacity} bytes has no room for the runtime stubs (JitOptions.CodeSpaceBytes)");
    }

    /// <summary>
    /// As <see cref="Place"/>, with the labels' addresses written to <paramref name="addresses"/> (as
    /// long as <paramref name="labels"/>), so placing a block allocates nothing; false when the space has no room for the code.
    /// </summary>
    public bool TryPlace(Assembler assembler, ReadOnlySpan<Label> labels, Span<nint> addresses, out nint start, out int size)
    {
        if (addresses.Length < labels.Length)
        {
            throw new ArgumentException("fewer addresses than labels", nameof(addresses));
        }

        lock (_lock)
        {
            IReadOnlyList<Instruction> instructions = assembler.Instructions;
            bool bound = true;
            foreach (Label label in labels)
            {
                bound &= label.InstructionIndex >= 0 && label.InstructionIndex < instructions.Count;
            }

            // Laid out first (sizes do not depend on the address), then written straight into the space.
            if (bound && _layout.TryLayout(instructions))
            {
                size = _layout.Size;
                if (!_space.TryAllocate(size + Padding, out start))
                {
                    return false;
                }

                if (_layout.TryWrite(_space.WritableSpan(start, size), (ulong)start))
                {
                    for (int i = 0; i < labels.Length; i++)
                    {
                        addresses[i] = _layout.LabelAddress(labels[i], (ulong)start);
                    }

                    return true;
                }

                // A target out of reach from there: the block encoder's code goes after this (never run) attempt.
            }

            nint at = _space.Next();
            return PlaceWithBlockEncoder(assembler, labels, at, addresses, out start, out size);
        }
    }

    /// <summary>
    /// Code placed so far (the runtime stubs every block jumps to) stays across <see cref="Reset"/>.
    /// </summary>
    public void KeepPlaced()
    {
        lock (_lock)
        {
            _space.KeepAllocated();
        }
    }

    /// <summary>
    /// Drops every block placed since <see cref="KeepPlaced"/>: the engine's flush, when no thread
    /// runs code from the space and nothing that stays jumps into what goes.
    /// </summary>
    public void Reset()
    {
        lock (_lock)
        {
            _space.Reset();
        }
    }

    /// <summary>Iced's block encoder, for code the layout declines (and to report what is wrong with bad code).</summary>
    private bool PlaceWithBlockEncoder(Assembler assembler, ReadOnlySpan<Label> labels, nint at, Span<nint> addresses, out nint start, out int size)
    {
        (byte[] bytes, AssemblerResult result) = Assemble(assembler, at);
        start = at;
        size = bytes.Length;
        if (!_space.TryAllocate(bytes.Length + Padding, out nint placed))
        {
            return false;
        }

        if (placed != at)
        {
            throw new InvalidOperationException($"code assembled at 0x{at:x} was placed at 0x{placed:x}");
        }

        _space.Write(at, bytes);
        for (int i = 0; i < labels.Length; i++)
        {
            addresses[i] = (nint)result.GetLabelRIP(labels[i]);
        }

        return true;
    }

    /// <summary>
    /// Points the <c>jmp rel32</c> or <c>jcc rel32</c> at <paramref name="site"/> to <paramref name="target"/>
    /// (the next instruction when target is 0: the site's own way to its exit).
    /// </summary>
    public void PatchJump(nint site, nint target)
    {
        // jmp rel32 is E9 and 5 bytes long; jcc rel32 is 0F 8x and 6.
        int opcodeBytes = System.Runtime.InteropServices.Marshal.ReadByte(site) == 0x0F ? 2 : 1;
        int rel = target == 0 ? 0 : checked((int)(target - (site + opcodeBytes + 4)));
        Span<byte> bytes = stackalloc byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(bytes, rel);
        _space.Write(site + opcodeBytes, bytes);
    }

    /// <summary>
    /// Rewrites the <paramref name="room"/> bytes at <paramref name="at"/> with the code of
    /// <paramref name="assembler"/> (position-independent, no labels), followed by a short jump over
    /// what is left of the room. No thread may run that code meanwhile.
    /// </summary>
    public void Patch(nint at, int room, Assembler assembler)
    {
        (byte[] code, _) = Assemble(assembler, at);
        if (code.Length + 2 > room || room - code.Length - 2 > sbyte.MaxValue)
        {
            throw new InvalidOperationException($"{code.Length} bytes of code do not fit in a patch area of {room}");
        }

        Span<byte> bytes = stackalloc byte[room];
        bytes.Fill(0xCC); // int3: never reached
        code.CopyTo(bytes);
        bytes[code.Length] = 0xEB; // jmp rel8 to the end of the area
        bytes[code.Length + 1] = (byte)(room - code.Length - 2);
        lock (_lock)
        {
            _space.Write(at, bytes);
        }
    }

    /// <summary>Gives the chunk back. No thread may still run code from it.</summary>
    public void Dispose() => _space.Dispose();

    private static (byte[] Bytes, AssemblerResult Result) Assemble(Assembler assembler, nint rip)
    {
        var stream = new MemoryStream();
        AssemblerResult result = assembler.Assemble(new StreamCodeWriter(stream), (ulong)rip, BlockEncoderOptions.ReturnNewInstructionOffsets);
        return (stream.ToArray(), result);
    }

    public sealed record Placed(nint Start, int Size, nint[] Labels);
}
