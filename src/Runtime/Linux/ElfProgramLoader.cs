using System.Text;
using Isa.Runtime.Cpu;
using Isa.Runtime.Loaders.Elf;
using Isa.Runtime.Memory;

namespace Isa.Runtime.Linux;

/// <summary>
/// Loads a Linux ELF program as the kernel's binfmt_elf does: maps its segments, loads the
/// dynamic linker it names (from the sysroot), and builds the initial stack with argv, envp and
/// the auxiliary vector.
/// </summary>
public static class ElfProgramLoader
{
    /// <summary>Where a position-independent executable is placed (the o32 kernel's ELF_ET_DYN_BASE).</summary>
    public const uint DynamicExecutableBase = 0x5555_0000;

    private const int AtNull = 0, AtPhdr = 3, AtPhent = 4, AtPhnum = 5, AtPagesz = 6, AtBase = 7, AtFlags = 8, AtEntry = 9;
    private const int AtUid = 11, AtEuid = 12, AtGid = 13, AtEgid = 14, AtHwcap = 16, AtClktck = 17, AtSecure = 23, AtRandom = 25, AtExecfn = 31;

    /// <summary>Loads <paramref name="program"/> into <paramref name="process"/> and points <paramref name="cpu"/> at its first instruction.</summary>
    public static void Load(GuestProcess process, ICpu cpu, ElfFile program, IReadOnlyList<string> argv, IReadOnlyList<string> envp)
    {
        RequireMatchingIsa(process.Isa, program);
        uint loadBias = program.Type == ElfType.SharedObject ? DynamicExecutableBase : 0;
        (uint end, uint phdrAddress) = MapSegments(process.Memory, program, loadBias);
        process.BrkStart = process.Brk = (end + GuestMemory.PageMask) & ~GuestMemory.PageMask;

        uint entry = (uint)program.Entry + loadBias;
        uint interpreterBase = 0;
        if (program.Interpreter is { } interpreterPath)
        {
            using ElfFile interpreter = ElfFile.Load(ResolveGuestPath(process.Sysroot, interpreterPath));
            RequireMatchingIsa(process.Isa, interpreter);
            ulong span = interpreter.ProgramHeaders.Where(p => p.Type == ElfSegmentType.Load).Max(p => p.VirtualAddress + p.MemorySize);
            interpreterBase = process.FindFree(span) ?? throw new ElfFormatException(interpreterPath, "no room for the program interpreter");
            MapSegments(process.Memory, interpreter, interpreterBase);
            entry = (uint)interpreter.Entry + interpreterBase;
        }

        process.Memory.Map(GuestProcess.StackTop - GuestProcess.StackSize, GuestProcess.StackSize, MemoryPermissions.ReadWrite);
        var auxv = new List<(int, uint)>
        {
            (AtPhdr, phdrAddress),
            (AtPhent, 32),
            (AtPhnum, (uint)program.ProgramHeaders.Count),
            (AtPagesz, GuestMemory.PageSize),
            (AtBase, interpreterBase),
            (AtFlags, 0),
            (AtEntry, (uint)program.Entry + loadBias),
            (AtUid, 0), (AtEuid, 0), (AtGid, 0), (AtEgid, 0),
            (AtHwcap, 0),
            (AtClktck, 100),
            (AtSecure, 0),
        };
        uint sp = BuildStack(process, argv, envp, auxv);
        process.Abi.SetInitialRegisters(cpu, sp, entry);
    }

    /// <summary>A guest absolute path inside the sysroot, or as is on the host when there is none.</summary>
    public static string ResolveGuestPath(string? sysroot, string guestPath)
        => sysroot is null || !guestPath.StartsWith('/') ? guestPath : Path.Join(sysroot, guestPath);

    private static void RequireMatchingIsa(GuestIsa isa, ElfFile file)
    {
        if (file.Machine != isa.ElfMachine || file.Endianness != isa.Endianness)
        {
            throw new ElfFormatException(file.Path, $"is a {ElfFile.MachineName(file.Machine)} {file.Endianness.ToString().ToLowerInvariant()}-endian program, not {isa.Name}");
        }

        if (file.Type is not (ElfType.Executable or ElfType.SharedObject))
        {
            throw new ElfFormatException(file.Path, $"is not an executable (type {file.Type})");
        }
    }

    /// <summary>Maps the PT_LOAD segments at <paramref name="bias"/>; returns the end of the image and where the program headers landed.</summary>
    private static (uint End, uint PhdrAddress) MapSegments(GuestMemory memory, ElfFile file, uint bias)
    {
        uint end = 0, phdrAddress = 0;
        var permissions = new Dictionary<uint, MemoryPermissions>();
        foreach (ElfProgramHeader segment in file.ProgramHeaders.Where(p => p.Type == ElfSegmentType.Load && p.MemorySize > 0))
        {
            uint start = (uint)segment.VirtualAddress + bias;
            ulong last = (ulong)start + segment.MemorySize;
            if (last > GuestProcess.StackTop - GuestProcess.StackSize)
            {
                throw new ElfFormatException(file.Path, $"segment {segment.Index} at 0x{start:x8} overlaps the stack");
            }

            MemoryPermissions perms = (segment.Flags.HasFlag(ElfSegmentFlags.Read) ? MemoryPermissions.Read : 0)
                | (segment.Flags.HasFlag(ElfSegmentFlags.Write) ? MemoryPermissions.Write : 0)
                | (segment.Flags.HasFlag(ElfSegmentFlags.Execute) ? MemoryPermissions.Execute : 0);
            MapSegment(memory, file, segment, start);
            for (ulong page = start & ~GuestMemory.PageMask; page < last; page += GuestMemory.PageSize)
            {
                permissions[(uint)page] = permissions.GetValueOrDefault((uint)page) | perms;
            }

            if (segment.Offset <= file.ProgramHeaderOffset && file.ProgramHeaderOffset < segment.Offset + segment.FileSize)
            {
                phdrAddress = start + (uint)(file.ProgramHeaderOffset - segment.Offset);
            }

            end = Math.Max(end, (uint)last);
        }

        // Consecutive pages with the same permissions get one protection call.
        uint[] pages = [.. permissions.Keys.Order()];
        for (int i = 0; i < pages.Length;)
        {
            int j = i + 1;
            while (j < pages.Length && pages[j] == pages[j - 1] + GuestMemory.PageSize && permissions[pages[j]] == permissions[pages[i]])
            {
                j++;
            }

            memory.Protect(pages[i], (ulong)(j - i) * GuestMemory.PageSize, permissions[pages[i]]);
            i = j;
        }

        return (end, phdrAddress);
    }

    /// <summary>
    /// Maps one PT_LOAD segment's pages read-write (<see cref="MapSegments"/> protects them after) and
    /// fills them as the kernel does. Pages holding the file's bytes map the file itself, copy-on-write,
    /// when the image is a mapped file and the segment's offset and address agree modulo the page size
    /// (as the kernel requires; linkers ensure it): nothing is copied, and a page is read from the page
    /// cache when first touched. Such pages show the file's bytes before the segment in its first page
    /// and after it in its last, except that a segment with a bss zeroes the rest of its last file
    /// page. Pages past the file's bytes are zero. Otherwise (an image in memory, an incongruent
    /// offset, a page an earlier segment already mapped, a host that cannot map the file), zero pages
    /// get a copy of the segment's bytes; in a page an earlier segment mapped, the bss is zeroed.
    /// </summary>
    private static void MapSegment(GuestMemory memory, ElfFile file, ElfProgramHeader segment, uint start)
    {
        ulong fileEnd = start + segment.FileSize;
        ulong memoryEnd = start + segment.MemorySize;
        ulong firstPage = start & ~(ulong)GuestMemory.PageMask;
        MappedFile? source = (segment.Offset & GuestMemory.PageMask) == (start & GuestMemory.PageMask) ? file.Source : null;

        // Runs of pages of one kind, not single pages: each mapping call is a host syscall that splits the window.
        ulong pagesEnd = (memoryEnd + GuestMemory.PageMask) & ~(ulong)GuestMemory.PageMask;
        PageKind KindOf(ulong page) => page >= pagesEnd ? PageKind.End
            : memory.IsMapped((uint)page) ? PageKind.Mapped
            : source is not null && page < fileEnd ? PageKind.File
            : PageKind.Zero;

        ulong run = firstPage;
        PageKind runKind = KindOf(firstPage);
        for (ulong page = firstPage + GuestMemory.PageSize; runKind != PageKind.End; page += GuestMemory.PageSize)
        {
            PageKind kind = KindOf(page);
            if (kind != runKind)
            {
                FillRun(memory, segment, start, source, run, page, runKind);
                run = page;
                runKind = kind;
            }
        }
    }

    private enum PageKind
    {
        Zero,
        File,
        Mapped,
        End,
    }

    /// <summary>Maps and fills the pages [<paramref name="first"/>, <paramref name="end"/>) of a segment, all of one kind.</summary>
    private static void FillRun(GuestMemory memory, ElfProgramHeader segment, uint start, MappedFile? source, ulong first, ulong end, PageKind kind)
    {
        ulong fileEnd = start + segment.FileSize;
        if (kind == PageKind.File)
        {
            long offset = (long)segment.Offset + ((long)first - start); // first is below start only in the segment's first page
            if (memory.TryMapFile((uint)first, end - first, source!.Handle, offset, MemoryPermissions.ReadWrite))
            {
                // The kernel's rule: a bss starts at the segment's file end, zeroed to the end of that page.
                if (segment.MemorySize > segment.FileSize && fileEnd < end && (fileEnd & GuestMemory.PageMask) != 0)
                {
                    memory.Poke((uint)fileEnd, ZeroPage.AsSpan(0, (int)(GuestMemory.PageSize - (fileEnd & GuestMemory.PageMask))));
                }

                return;
            }
        }

        if (kind != PageKind.Mapped)
        {
            memory.Map((uint)first, end - first, MemoryPermissions.ReadWrite);
        }

        ulong from = Math.Max(first, start), to = Math.Min(end, fileEnd);
        if (from < to)
        {
            memory.Poke((uint)from, segment.Data.Span.Slice((int)(from - start), (int)(to - from)));
        }

        // A page an earlier segment mapped from the file shows the file past that segment: zero the bss there.
        ulong bss = Math.Max(first, fileEnd), bssEnd = Math.Min(end, start + segment.MemorySize);
        for (; kind == PageKind.Mapped && bss < bssEnd; bss += (ulong)ZeroPage.Length)
        {
            memory.Poke((uint)bss, ZeroPage.AsSpan(0, (int)Math.Min((ulong)ZeroPage.Length, bssEnd - bss)));
        }
    }

    private static readonly byte[] ZeroPage = new byte[GuestMemory.PageSize];

    /// <summary>Lays out argc, argv, envp and auxv (and the strings they point to) below the stack top.</summary>
    private static uint BuildStack(GuestProcess process, IReadOnlyList<string> argv, IReadOnlyList<string> envp, List<(int Type, uint Value)> auxv)
    {
        bool big = process.Isa.Endianness == Endianness.Big;
        uint top = GuestProcess.StackTop;
        var strings = new List<byte>();
        uint StringAt(string s)
        {
            strings.AddRange(Encoding.UTF8.GetBytes(s));
            strings.Add(0);
            return (uint)strings.Count;
        }

        var argvEnds = argv.Select(StringAt).ToList();
        var envpEnds = envp.Select(StringAt).ToList();
        uint execfnEnd = StringAt(process.ExecutablePath);
        int randomOffset = strings.Count;
        // From the host kernel, as qemu-user does: the crypto library's generator would first load
        // and initialise OpenSSL, milliseconds of every start.
        var random = new byte[16];
        if (!HostSyscalls.TryGetRandom(random))
        {
            System.Security.Cryptography.RandomNumberGenerator.Fill(random);
        }
        strings.AddRange(random);

        uint stringsBase = (uint)((top - strings.Count - 16) & ~15u);
        uint Address(uint end, string s) => stringsBase + end - (uint)Encoding.UTF8.GetByteCount(s) - 1;
        auxv.Add((AtRandom, stringsBase + (uint)randomOffset));
        auxv.Add((AtExecfn, Address(execfnEnd, process.ExecutablePath)));
        auxv.Add((AtNull, 0));

        var words = new List<uint> { (uint)argv.Count };
        words.AddRange(argv.Select((a, i) => Address(argvEnds[i], a)));
        words.Add(0);
        words.AddRange(envp.Select((e, i) => Address(envpEnds[i], e)));
        words.Add(0);
        foreach ((int type, uint value) in auxv)
        {
            words.Add((uint)type);
            words.Add(value);
        }

        uint sp = (uint)((stringsBase - (words.Count * 4)) & ~15u);
        var block = new byte[words.Count * 4];
        var writer = new GuestStructWriter(block, big);
        for (int i = 0; i < words.Count; i++)
        {
            writer.U32(i * 4, words[i]);
        }

        process.Memory.Poke(sp, block);
        process.Memory.Poke(stringsBase, strings.ToArray());
        return sp;
    }
}
