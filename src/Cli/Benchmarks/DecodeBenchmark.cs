using System.Diagnostics;
using Isa.Cli.Disassembly;
using Isa.Runtime.Cpu;

namespace Isa.Cli.Benchmarks;

/// <summary>
/// Measures the generated decoder and disassembler on real code: every instruction word of an
/// image, decoded (and separately disassembled) <c>iterations</c> times. The words are read into
/// an array first, so only the generated code is timed, not the byte-order reads.
/// </summary>
public static class DecodeBenchmark
{
    public static DecodeBenchmarkResult Run(CodeImage image, int iterations)
    {
        ArgumentNullException.ThrowIfNull(image);
        ArgumentOutOfRangeException.ThrowIfLessThan(iterations, 1);
        GuestIsa isa = image.Isa;
        ulong[] words = Words(image, out ulong[] addresses);

        // One untimed pass each lets tiered compilation settle on optimized code.
        long decoded = DecodePass(isa, words);
        DisassemblePass(isa, words, addresses);

        var clock = Stopwatch.StartNew();
        for (int i = 0; i < iterations; i++)
        {
            GC.KeepAlive(DecodePass(isa, words));
        }

        TimeSpan decodeTime = clock.Elapsed;
        clock.Restart();
        for (int i = 0; i < iterations; i++)
        {
            GC.KeepAlive(DisassemblePass(isa, words, addresses));
        }

        return new DecodeBenchmarkResult(isa.Name, words.Length, decoded, iterations, decodeTime, clock.Elapsed);
    }

    private static ulong[] Words(CodeImage image, out ulong[] addresses)
    {
        var words = new List<ulong>();
        var at = new List<ulong>();
        foreach (CodeRegion region in image.Regions)
        {
            for (ulong address = region.Address; region.WordAt(image.Isa, address) is ulong word; address += (ulong)image.Isa.InstructionBytes)
            {
                words.Add(word);
                at.Add(address);
            }
        }

        addresses = [.. at];
        return [.. words];
    }

    private static long DecodePass(GuestIsa isa, ulong[] words)
    {
        long decoded = 0;
        foreach (ulong word in words)
        {
            decoded += isa.Decode(word) >= 0 ? 1 : 0;
        }

        return decoded;
    }

    /// <summary>Returns the total text length, so the strings count as used.</summary>
    private static long DisassemblePass(GuestIsa isa, ulong[] words, ulong[] addresses)
    {
        long characters = 0;
        for (int i = 0; i < words.Length; i++)
        {
            characters += isa.Disassemble(words[i], addresses[i])?.Length ?? 0;
        }

        return characters;
    }
}
