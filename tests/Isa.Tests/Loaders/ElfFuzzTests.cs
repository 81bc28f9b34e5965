using System.Diagnostics;
using Isa.Runtime.Cpu;
using Isa.Runtime.Loaders.Elf;
using Xunit.Abstractions;

namespace Isa.Tests.Loaders;

/// <summary>
/// Mutates valid images (byte flips, truncations, header/program header/section header/symbol field
/// overwrites with boundary values, extended-numbering counts) and checks that parsing, and using what
/// parsed, never fails with anything but <see cref="ElfFormatException"/>. Each case has its own seed,
/// so a failure names the seed that reproduces it.
/// </summary>
public sealed class ElfFuzzTests(ITestOutputHelper output)
{
    private const int Cases = 20_000;

    private static readonly uint[] InterestingValues =
    [
        0, 1, 2, 3, 4, 8, 16, 0x20, 0x28, 0x34, 0x7f, 0x80, 0xff, 0x100, 0xfff, 0x1000,
        0x7fff, 0x8000, 0xff00, 0xfff1, 0xfffe, 0xffff, 0x1_0000, 0x7fff_ffff, 0x8000_0000,
        0xffff_fff0, 0xffff_fffe, 0xffff_ffff,
    ];

    private readonly ITestOutputHelper _output = output;

    [Fact]
    public void MutatedImagesParseOrFailWithAFormatError()
    {
        Seed[] seeds = [Seed.Of(ElfBuilder.Sample(Endianness.Little)), Seed.Of(ElfBuilder.Sample(Endianness.Big)), DynamicSeed()];
        var failures = new List<string>();
        var messages = new HashSet<string>();
        int parsed = 0;
        Stopwatch clock = Stopwatch.StartNew();

        for (int seed = 0; seed < Cases; seed++)
        {
            var random = new Random(seed);
            byte[] image = Mutate(seeds[seed % seeds.Length], random);
            try
            {
                Exercise(ElfFile.Parse(image), random);
                parsed++;
            }
            catch (ElfFormatException error)
            {
                messages.Add(error.Message);
            }
            catch (Exception error)
            {
                failures.Add($"seed {seed}: {error.GetType().Name}: {error.Message}");
            }
        }

        clock.Stop();
        _output.WriteLine($"{Cases} cases in {clock.ElapsedMilliseconds} ms: {parsed} parsed, {Cases - parsed - failures.Count} rejected with {messages.Count} distinct messages");
        Assert.True(failures.Count == 0, string.Join(Environment.NewLine, failures.Take(20)));
        Assert.InRange(parsed, Cases / 20, Cases - (Cases / 20)); // both outcomes are well exercised
        Assert.True(messages.Count > 100, $"only {messages.Count} distinct errors: the mutations are too narrow");
    }

    private static Seed DynamicSeed()
    {
        var builder = new ElfBuilder(Endianness.Big) { DynamicSymbols = true, Type = ElfType.SharedObject };
        builder.AddSampleContents();
        return Seed.Of(builder);
    }

    private static byte[] Mutate(Seed seed, Random random)
    {
        byte[] image = (byte[])seed.Image.Clone();
        int mutations = random.Next(1, 4);
        for (int i = 0; i < mutations; i++)
        {
            image = random.Next(6) switch
            {
                0 => FlipBytes(image, random),
                1 => image[..random.Next(image.Length)],
                2 => OverwriteField(image, seed, random, random.Next(2) == 0 ? Pick(InterestingValues, random) : (uint)random.NextInt64(1L << 32)),
                3 => OverwriteField(image, seed, random, Pick(InterestingValues, random)),
                4 => HugeExtendedCount(image, seed, random),
                _ => OverwriteField(image, seed, random, (uint)(image.Length + random.Next(-64, 64))),
            };
        }

        return image;
    }

    private static byte[] FlipBytes(byte[] image, Random random)
    {
        int flips = random.Next(1, 9);
        for (int i = 0; i < flips && image.Length > 0; i++)
        {
            image[random.Next(image.Length)] ^= (byte)random.Next(1, 256);
        }

        return image;
    }

    private static byte[] OverwriteField(byte[] image, Seed seed, Random random, uint value)
    {
        Field field = Pick(seed.Fields, random);
        if (field.Offset + field.Width <= image.Length)
        {
            if (field.Width == 2)
            {
                seed.Builder.Put16(image, field.Offset, (ushort)value);
            }
            else
            {
                seed.Builder.Put32(image, field.Offset, value);
            }
        }

        return image;
    }

    /// <summary>e_shnum or e_phnum escaped to section header 0, which then claims a huge count.</summary>
    private static byte[] HugeExtendedCount(byte[] image, Seed seed, Random random)
    {
        int sectionZero = seed.Builder.SectionHeaderTableOffset;
        if (sectionZero + ElfBuilder.SectionHeaderSize > image.Length)
        {
            return image;
        }

        uint count = random.Next(2) == 0 ? 0xffff_ffff : (uint)random.Next(0x10000, int.MaxValue);
        if (random.Next(2) == 0)
        {
            seed.Builder.Put16(image, ElfBuilder.EShNum, 0);
            seed.Builder.Put32(image, sectionZero + ElfBuilder.ShSize, count);
        }
        else
        {
            seed.Builder.Put16(image, ElfBuilder.EPhNum, 0xffff);
            seed.Builder.Put32(image, sectionZero + ElfBuilder.ShInfo, count);
        }

        return image;
    }

    /// <summary>Uses everything a parsed file offers, since none of it may throw either.</summary>
    private static void Exercise(ElfFile elf, Random random)
    {
        long total = elf.Sections.Sum(section => (long)section.Data.Length) + elf.ProgramHeaders.Sum(header => (long)header.Data.Length);
        Assert.True(total >= 0);
        _ = elf.ExecutableSections.Count();
        _ = ElfFile.MachineName(elf.Machine);
        foreach (ElfSymbol symbol in elf.Symbols.Take(32))
        {
            _ = elf.FindSymbol(symbol.Name);
            _ = elf.SymbolAt(symbol.Value + (ulong)random.Next(8), out _);
        }

        foreach (ElfSection section in elf.Sections.Take(16))
        {
            _ = elf.SymbolAt(section, section.Address + (ulong)random.Next(64), out _);
        }

        _ = elf.SymbolAt((ulong)random.NextInt64(1L << 32), out _);
    }

    private static T Pick<T>(IReadOnlyList<T> items, Random random) => items[random.Next(items.Count)];

    private readonly record struct Field(int Offset, int Width);

    private sealed record Seed(ElfBuilder Builder, byte[] Image, Field[] Fields)
    {
        /// <summary>Every header, program header, section header and symbol field of the built image.</summary>
        public static Seed Of(ElfBuilder builder)
        {
            byte[] image = builder.Build();
            var fields = new List<Field>();
            fields.AddRange([new(4, 2), new(16, 2), new(18, 2), new(24, 4), new(ElfBuilder.EPhOff, 4), new(ElfBuilder.EShOff, 4)]);
            fields.AddRange(Sequence(ElfBuilder.EPhEntSize, 5, 2));
            int programHeaders = ElfFile.Parse(image).ProgramHeaders.Count;
            for (int i = 0; i < programHeaders; i++)
            {
                fields.AddRange(Sequence(builder.ProgramHeaderOffset(i), 8, 4));
            }

            for (int i = 0; i < builder.SectionCount; i++)
            {
                fields.AddRange(Sequence(builder.SectionHeaderTableOffset + (i * ElfBuilder.SectionHeaderSize), 10, 4));
            }

            int symbols = builder.OffsetOf(builder.SymbolTableName);
            for (int i = 0; i < ElfFile.Parse(image).Symbols.Count; i++)
            {
                int at = symbols + (i * ElfBuilder.SymbolSize);
                fields.AddRange([new(at, 4), new(at + 4, 4), new(at + 8, 4), new(at + 12, 2), new(at + ElfBuilder.StShndx, 2)]);
            }

            return new Seed(builder, image, [.. fields]);
        }

        private static IEnumerable<Field> Sequence(int start, int count, int width) =>
            Enumerable.Range(0, count).Select(i => new Field(start + (i * width), width));
    }
}
