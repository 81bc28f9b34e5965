using System.Globalization;
using Isa.Runtime.Cpu;

namespace Isa.Cli.Disassembly;

/// <summary>
/// Our disassembly of one image, laid out as GNU objdump -d would print it. The generated
/// disassembler prints what objdump's ISA module prints; this adds what objdump itself adds
/// around it: address formatting that depends on the file's symbols, <c>&lt;symbol+0x10&gt;</c>
/// after branch targets, and its directive for undecodable words.
/// </summary>
public sealed class ObjdumpRenderer
{
    public ObjdumpRenderer(CodeImage image, ObjdumpFlavor flavor)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentNullException.ThrowIfNull(flavor);
        Image = image;
        Flavor = flavor;
    }

    public CodeImage Image { get; }

    public ObjdumpFlavor Flavor { get; }

    /// <summary>
    /// The text after the raw column: <c>lui\tgp,0x5</c>, <c>beqz\tv0,400334 &lt;main+0x10&gt;</c>,
    /// <c>.word\t0xffffffff</c>. With <paramref name="labelTargets"/> false the target label is
    /// left out (a comparison strips it from objdump's side anyway).
    /// </summary>
    public string Instruction(CodeRegion region, ulong word, ulong pc, bool labelTargets)
    {
        ArgumentNullException.ThrowIfNull(region);
        GuestIsa isa = Image.Isa;
        string? text = isa.Disassemble(word, pc);
        if (text is null)
        {
            return $"{Flavor.UnknownWordDirective}\t0x{word.ToString("x", CultureInfo.InvariantCulture)}";
        }

        if (!IsDirectTransfer(word))
        {
            return text;
        }

        // The target of a direct branch or jump is its last operand, printed as a bare hex address.
        int start = text.LastIndexOfAny([',', '\t', ' ']) + 1;
        if (!ulong.TryParse(text.AsSpan(start), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out ulong target))
        {
            return text;
        }

        if (!Image.HasSymbols)
        {
            return string.Concat(text.AsSpan(0, start), "0x", text.AsSpan(start));
        }

        return labelTargets ? $"{text} <{Image.Label(region, target)}>" : text;
    }

    /// <summary>The address column: objdump drops the leading zeros shared by every address of the region and pads with spaces.</summary>
    public string Address(CodeRegion region, ulong address)
    {
        ArgumentNullException.ThrowIfNull(region);
        int skip = AddressDigitsToSkip(region);
        string full = address.ToString("x8", CultureInfo.InvariantCulture)[skip..];
        string trimmed = full.TrimStart('0');
        return trimmed.Length == 0 ? "0".PadLeft(full.Length) : trimmed.PadLeft(full.Length);
    }

    /// <summary>The raw column: the word in hex, padded to the width objdump reserves.</summary>
    public string Raw(ulong word)
    {
        string digits = word.ToString("x" + (Image.Isa.InstructionBytes * 2).ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture);
        return digits.PadRight(Flavor.RawColumnWidth);
    }

    /// <summary>Whether <paramref name="word"/> decodes to a branch or jump to an address written in the instruction.</summary>
    public bool IsDirectTransfer(ulong word) =>
        (Flags(word) & (InstructionFlags.Branch | InstructionFlags.Jump)) != 0 && (Flags(word) & InstructionFlags.Indirect) == 0;

    /// <summary>Whether <paramref name="word"/> decodes to any branch or jump, direct or through a register.</summary>
    public bool IsTransfer(ulong word) => (Flags(word) & (InstructionFlags.Branch | InstructionFlags.Jump)) != 0;

    private InstructionFlags Flags(ulong word)
    {
        int index = Image.Isa.Decode(word);
        return index < 0 ? InstructionFlags.None : Image.Isa.Instructions[index].Flags;
    }

    /// <summary>
    /// objdump (disassemble_section) prints the region's last address, counts its leading zeros,
    /// and skips all but one of them rounded down to a multiple of four.
    /// </summary>
    private static int AddressDigitsToSkip(CodeRegion region)
    {
        string last = region.End.ToString("x8", CultureInfo.InvariantCulture);
        int zeros = last.Length - last.TrimStart('0').Length;
        if (zeros == last.Length && region.Address != 0)
        {
            return 0;
        }

        return zeros == 0 ? 0 : (zeros - 1) & ~3;
    }
}
