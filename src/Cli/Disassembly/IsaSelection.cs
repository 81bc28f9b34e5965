using Isa.Cli.Commands;
using Isa.Guests;
using Isa.Runtime.Cpu;
using Isa.Runtime.Loaders.Elf;

namespace Isa.Cli.Disassembly;

/// <summary>
/// Chooses the generated ISA for a program: by name when the user says, else from the ELF
/// header's e_machine and byte order, matched against what each ISA declares about itself.
/// </summary>
public static class IsaSelection
{
    /// <exception cref="CommandException">No ISA has that name.</exception>
    public static GuestIsa ByName(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        return IsaCatalog.Find(name) ?? throw new CommandException($"unknown ISA '{name}' (known: {KnownNames()})");
    }

    /// <summary>
    /// The ISA for <paramref name="elf"/>. e_machine names an architecture, not a variant: when
    /// several ISAs match (mips32el and an extension of it such as allegrex), the one whose
    /// decoder recognises the most words of the executable sections wins, then the smaller ISA.
    /// </summary>
    /// <param name="prefer">When some matching ISAs satisfy it, only those are considered (isa run prefers ISAs with a Linux ABI).</param>
    /// <exception cref="CommandException">No ISA matches; the message lists the known ones.</exception>
    public static GuestIsa ForElf(ElfFile elf, Func<GuestIsa, bool>? prefer = null)
    {
        ArgumentNullException.ThrowIfNull(elf);
        GuestIsa[] candidates = IsaCatalog.All
            .Where(isa => isa.ElfMachine == elf.Machine && isa.Endianness == elf.Endianness)
            .ToArray();
        if (prefer is not null && candidates.Any(prefer))
        {
            candidates = candidates.Where(prefer).ToArray();
        }

        return candidates.Length switch
        {
            0 => throw new CommandException(
                $"no ISA for {ElfFile.MachineName(elf.Machine)} (e_machine {elf.Machine}) {elf.Endianness.ToString().ToLowerInvariant()}-endian programs"
                + $" (known: {KnownNames()}); pass --isa NAME"),
            1 => candidates[0],
            _ => candidates
                .Select((isa, order) => (isa, order, decoded: DecodedWords(elf, isa)))
                .OrderByDescending(candidate => candidate.decoded)
                .ThenBy(candidate => candidate.isa.Instructions.Count)
                .ThenBy(candidate => candidate.order)
                .First().isa,
        };
    }

    private static long DecodedWords(ElfFile elf, GuestIsa isa)
    {
        long decoded = 0;
        foreach (ElfSection section in elf.ExecutableSections)
        {
            ReadOnlySpan<byte> code = section.Data.Span;
            for (int offset = 0; offset + sizeof(uint) <= code.Length; offset += isa.InstructionBytes)
            {
                decoded += isa.Decode(isa.ReadWord(code, offset)) >= 0 ? 1 : 0;
            }
        }

        return decoded;
    }

    private static string KnownNames() => string.Join(", ", IsaCatalog.All.Select(isa => $"{isa.Name} ({ElfFile.MachineName(isa.ElfMachine)} {isa.Endianness.ToString().ToLowerInvariant()})"));
}
