using Iced.Intel;
using Isa.Backends.Host;

namespace Isa.Backends.Jit;

/// <summary>
/// Places assembled code in the process's JIT memory (<see cref="JitCode.Shared"/>, one W^X region, so
/// the fault handler knows translated code by its address range) and patches link jumps.
/// </summary>
internal sealed class CodeBuffer
{
    private static readonly Lazy<CodeBuffer> SharedInstance = new(() => new CodeBuffer(JitCode.Shared));
    private readonly ExecutableMemory _memory;
    private readonly CodeLayout _layout = new();
    private readonly Lock _lock = new();

    private CodeBuffer(ExecutableMemory memory)
    {
        _memory = memory;
        JitFaultHandler.Install(memory.Start, memory.End, JitContext.FaultRip, JitContext.FaultAddress, JitContext.FaultLanding);
    }

    public static CodeBuffer Shared => SharedInstance.Value;

    public nint Start => _memory.Start;

    public nint End => _memory.End;

    /// <summary>Assembles at the next free address and copies the code there.</summary>
    public Placed Place(Assembler assembler, ReadOnlySpan<Label> labels)
    {
        lock (_lock)
        {
            IReadOnlyList<Instruction> instructions = assembler.Instructions;
            bool bound = true;
            foreach (Label label in labels)
            {
                bound &= label.InstructionIndex >= 0 && label.InstructionIndex < instructions.Count;
            }

            nint guess = (nint)((_memory.Start + _memory.Used + 15) & ~15L);
            if (bound && _layout.TryEncode(instructions, (ulong)guess))
            {
                // The layout does not depend on the address: only a lost race for it means encoding again.
                nint at = _memory.Allocate(_layout.Code.Length + 64, 16);
                if (at != guess && !_layout.TryEncode(instructions, (ulong)at))
                {
                    throw new InvalidOperationException($"code encoded at 0x{guess:x} cannot be encoded at 0x{at:x}");
                }

                _memory.Write(at, _layout.Code);
                var addresses = new nint[labels.Length];
                for (int i = 0; i < labels.Length; i++)
                {
                    addresses[i] = _layout.LabelAddress(labels[i], (ulong)at);
                }

                return new Placed(at, _layout.Code.Length, addresses);
            }

            return PlaceWithBlockEncoder(assembler, labels, guess);
        }
    }

    /// <summary>Iced's block encoder, for code the layout declines (and to report what is wrong with bad code).</summary>
    private Placed PlaceWithBlockEncoder(Assembler assembler, ReadOnlySpan<Label> labels, nint guess)
    {
        (byte[] bytes, AssemblerResult result) = Assemble(assembler, guess);
        nint at = _memory.Allocate(bytes.Length + 64, 16);
        if (at != guess)
        {
            (bytes, result) = Assemble(assembler, at);
        }

        _memory.Write(at, bytes);
        var addresses = new nint[labels.Length];
        for (int i = 0; i < labels.Length; i++)
        {
            addresses[i] = (nint)result.GetLabelRIP(labels[i]);
        }

        return new Placed(at, bytes.Length, addresses);
    }

    /// <summary>Points the <c>jmp rel32</c> at <paramref name="site"/> to <paramref name="target"/> (the next instruction when target is 0).</summary>
    public void PatchJump(nint site, nint target)
    {
        int rel = target == 0 ? 0 : checked((int)(target - (site + 5)));
        Span<byte> bytes = stackalloc byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(bytes, rel);
        _memory.Write(site + 1, bytes);
    }

    private static (byte[] Bytes, AssemblerResult Result) Assemble(Assembler assembler, nint rip)
    {
        var stream = new MemoryStream();
        AssemblerResult result = assembler.Assemble(new StreamCodeWriter(stream), (ulong)rip, BlockEncoderOptions.ReturnNewInstructionOffsets);
        return (stream.ToArray(), result);
    }

    public sealed record Placed(nint Start, int Size, nint[] Labels);
}
