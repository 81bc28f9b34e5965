using Isa.Runtime.Memory;

namespace Isa.Runtime.Cpu;

/// <summary>
/// One guest instruction set in one byte order, as generated from its spec file. The runtime,
/// loaders and tools know ISAs only through this type.
/// </summary>
public abstract class GuestIsa
{
    /// <summary>The name users pick it by (<c>mips32el</c>, <c>mips32</c>, <c>rv32</c>).</summary>
    public abstract string Name { get; }

    /// <summary>The spec's ISA name, shared by both byte orders (<c>mips32</c>).</summary>
    public abstract string SpecName { get; }

    public abstract string Description { get; }

    public abstract Endianness Endianness { get; }

    /// <summary>ELF <c>e_machine</c> of programs for this ISA (8 for MIPS, 243 for RISC-V).</summary>
    public abstract ushort ElfMachine { get; }

    /// <summary>The Linux ABI its programs use (<c>mips_o32</c>), as the spec names it; null if none.</summary>
    public abstract string? LinuxAbi { get; }

    /// <summary>Size of an instruction word in bytes.</summary>
    public abstract int InstructionBytes { get; }

    public abstract IReadOnlyList<InstructionInfo> Instructions { get; }

    public abstract IReadOnlyList<RegisterFileInfo> Registers { get; }

    /// <summary>Index into <see cref="Instructions"/> of the instruction encoded by <paramref name="word"/>, or -1.</summary>
    public abstract int Decode(ulong word);

    /// <summary>The instruction as GNU objdump prints it (<c>addiu\tsp,sp,-32</c>), or null when it does not decode.</summary>
    public abstract string? Disassemble(ulong word, ulong pc);

    public abstract ICpu CreateCpu(GuestMemory memory);

    /// <summary>True if a jump takes effect after the next instruction (its delay slot).</summary>
    public abstract bool DelaySlot { get; }

    /// <summary>Where the registers live in the native state of the ISA's CPUs.</summary>
    public abstract StateLayout StateLayout { get; }

    /// <summary>The generated JIT translator of this ISA.</summary>
    public abstract Jit.IJitFrontend JitFrontend { get; }

    /// <summary>The test vectors written in the spec.</summary>
    public abstract IReadOnlyList<SpecTestVector> TestVectors { get; }

    /// <summary>Reads the instruction word at <paramref name="offset"/> of <paramref name="code"/> in this ISA's byte order.</summary>
    public ulong ReadWord(ReadOnlySpan<byte> code, int offset)
    {
        uint raw = System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(code[offset..]);
        return Endianness == Endianness.Little ? raw : System.Buffers.Binary.BinaryPrimitives.ReverseEndianness(raw);
    }

    public int RegisterFileIndex(string name)
    {
        for (int i = 0; i < Registers.Count; i++)
        {
            if (Registers[i].Name == name)
            {
                return i;
            }
        }

        return -1;
    }

    /// <summary>The register file and element at state offset <paramref name="offset"/> (<see cref="StateLayout"/>), or null if no element starts there.</summary>
    public (int File, int Index)? RegisterAt(int offset)
    {
        for (int file = 0; file < Registers.Count; file++)
        {
            (int start, int bytes) = StateLayout.RegisterFiles[file];
            if (offset >= start && offset < start + (bytes * Registers[file].Count) && (offset - start) % bytes == 0)
            {
                return (file, (offset - start) / bytes);
            }
        }

        return null;
    }

    public override string ToString() => Name;
}
