using System.Globalization;

namespace Isa.Cli.Disassembly;

/// <summary>
/// Writes a whole image in the layout of <c>objdump -d</c>, so our listing and objdump's can be
/// diffed line by line: a header per section, <c>&lt;symbol&gt;:</c> lines where symbols start,
/// one line per instruction, and <c>...</c> for runs of zero words as objdump skips them.
/// </summary>
public static class ObjdumpListingWriter
{
    /// <summary>objdump's SKIP_ZEROES: runs of at least this many zero bytes print as <c>...</c>.</summary>
    private const int SkipZeroBytes = 8;

    public static void Write(ObjdumpRenderer renderer, TextWriter output)
    {
        ArgumentNullException.ThrowIfNull(renderer);
        ArgumentNullException.ThrowIfNull(output);
        CodeImage image = renderer.Image;
        output.WriteLine();
        output.WriteLine($"{image.Path}:     file format {(image.Elf is null ? "binary" : "elf32")} ({image.Isa.Name})");
        output.WriteLine();
        foreach (CodeRegion region in image.Regions)
        {
            output.WriteLine();
            output.WriteLine($"Disassembly of section {region.Name}:");
            WriteRegion(renderer, region, output);
        }
    }

    private static void WriteRegion(ObjdumpRenderer renderer, CodeRegion region, TextWriter output)
    {
        CodeImage image = renderer.Image;
        int step = image.Isa.InstructionBytes;
        bool afterTransfer = false;
        ulong address = region.Address;
        while (address < region.End)
        {
            string? symbol = image.SymbolStartingAt(region, address);
            if (symbol is not null || address == region.Address)
            {
                // A region not starting at a symbol is labelled like a branch target would be.
                symbol ??= image.Label(region, address) ?? region.Name;
                output.WriteLine();
                output.WriteLine($"{address.ToString("x8", CultureInfo.InvariantCulture)} <{symbol}>:");
            }

            if (region.WordAt(image.Isa, address) is not ulong word)
            {
                break; // a partial word at the end; objdump prints its bytes, we have nothing to decode
            }

            // objdump skips a zero run unless it is the delay slot of the previous instruction. The
            // ISA does not say whether it has delay slots, so any branch or jump protects the next
            // word: exact for MIPS, and a zero word after a RISC-V branch is rare.
            ulong zeroBytes = afterTransfer ? 0 : ZeroRun(image, region, address);
            if (zeroBytes >= SkipZeroBytes)
            {
                output.WriteLine("\t...");
                address += zeroBytes;
                afterTransfer = false;
                continue;
            }

            output.WriteLine($"{renderer.Address(region, address)}:\t{renderer.Raw(word)}\t{renderer.Instruction(region, word, address, labelTargets: true)}");
            afterTransfer = renderer.IsTransfer(word);
            address += (ulong)step;
        }
    }

    /// <summary>Zero bytes from <paramref name="address"/> up to the next nonzero byte, symbol or the region's end, in whole words.</summary>
    private static ulong ZeroRun(CodeImage image, CodeRegion region, ulong address)
    {
        ReadOnlySpan<byte> data = region.Data.Span;
        int step = image.Isa.InstructionBytes;
        int start = (int)(address - region.Address);
        int end = start;
        while (end + step <= data.Length && !data.Slice(end, step).ContainsAnyExcept((byte)0))
        {
            end += step;
            if (image.SymbolStartingAt(region, region.Address + (ulong)end) is not null)
            {
                break;
            }
        }

        return (ulong)(end - start);
    }
}
