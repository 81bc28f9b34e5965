using Isa.Runtime.Cpu;
using Isa.Runtime.Loaders.Elf;

namespace Isa.Cli.Disassembly;

/// <summary>
/// One stretch of code to disassemble: an executable ELF section, or the whole of a raw binary.
/// <paramref name="Section"/> is null for raw binaries, which have no symbols to label it with.
/// </summary>
public sealed record CodeRegion(string Name, ulong Address, ReadOnlyMemory<byte> Data, ElfSection? Section)
{
    public ulong End => Address + (ulong)Data.Length;

    public bool Contains(ulong address) => address >= Address && address - Address < (ulong)Data.Length;

    /// <summary>
    /// The instruction word at <paramref name="address"/> in <paramref name="isa"/>'s byte order, or
    /// null when a whole word does not fit there (a partial word at the end of a section).
    /// </summary>
    public ulong? WordAt(GuestIsa isa, ulong address)
    {
        ArgumentNullException.ThrowIfNull(isa);
        if (!Contains(address))
        {
            return null;
        }

        // ReadWord reads four bytes whatever the instruction size.
        ulong offset = address - Address;
        return offset + (ulong)Math.Max(isa.InstructionBytes, sizeof(uint)) <= (ulong)Data.Length
            ? isa.ReadWord(Data.Span, (int)offset)
            : null;
    }
}
