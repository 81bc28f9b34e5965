using Isa.Runtime.Cpu;
using Isa.Runtime.Loaders.Elf;

namespace Isa.Cli.Disassembly;

/// <summary>
/// How GNU objdump handles one kind of program: which cross objdump reads it, how wide its raw
/// instruction column is, and how it prints a word it cannot decode. These are facts about the
/// external reference tool, so they live here, keyed by what an ISA declares about itself
/// (e_machine and byte order), never by ISA name.
/// </summary>
/// <param name="Tool">The objdump binary's name, looked up on PATH; null when none is known.</param>
/// <param name="RawColumnWidth">Characters objdump gives the raw bytes before the tab (padding included).</param>
/// <param name="UnknownWordDirective">What objdump prints for an undecodable word, before its value.</param>
public sealed record ObjdumpFlavor(string? Tool, int RawColumnWidth, string UnknownWordDirective)
{
    private static readonly Dictionary<(ushort Machine, Endianness Endianness), ObjdumpFlavor> Known = new()
    {
        // mips-dis.c: 4 bytes per line, then a space; unknown words are ".word 0x...".
        [(ElfMachine.Mips, Endianness.Little)] = new("mipsel-linux-gnu-objdump", 9, ".word"),
        [(ElfMachine.Mips, Endianness.Big)] = new("mips-linux-gnu-objdump", 9, ".word"),

        // riscv-dis.c: 8 bytes per line (room for 2- and 4-byte instructions); unknown 32-bit
        // words are ".4byte 0x...".
        [(ElfMachine.RiscV, Endianness.Little)] = new("riscv64-unknown-elf-objdump", 18, ".4byte"),
    };

    /// <summary>The flavor for <paramref name="isa"/>'s programs; a generic guess (and no tool) for machines not in the table.</summary>
    public static ObjdumpFlavor For(GuestIsa isa)
    {
        ArgumentNullException.ThrowIfNull(isa);
        return Known.TryGetValue((isa.ElfMachine, isa.Endianness), out ObjdumpFlavor? flavor)
            ? flavor
            : new ObjdumpFlavor(Tool: null, (isa.InstructionBytes * 2) + 1, ".word");
    }
}
