using System.Diagnostics;
using Isa.Backends.Host;
using Isa.Runtime.Cpu;
using Isa.Runtime.Jit;
using Isa.Runtime.Memory;

namespace Isa.Backends.Jit;

/// <summary>
/// The x64 JIT for one guest address space: its block cache (shared by every guest thread's CPU),
/// direct links between blocks, the indirect-jump table, and invalidation when guest code changes.
/// Its code lives in a code space of its own (<see cref="JitOptions.CodeSpaceBytes"/>); when that is
/// full, every translation is flushed at a point where no guest thread runs translated code, and
/// translation goes on in the emptied space.
/// </summary>
public sealed unsafe class JitEngine : IDisposable
{
    private readonly Lock _lock = new();
    private readonly Dictionary<ulong, JitBlock?> _blocks = [];
    private readonly Dictionary<uint, List<ulong>> _pages = [];
    private readonly HashSet<ulong> _visits = [];
    private readonly List<JitBlock> _byAddress = [];
    private readonly BlockTranslator _translator;
    private Iced.Intel.Label[] _placeLabels = new Iced.Intel.Label[64]; // a block's labels and their addresses, reused (under the lock)
    private nint[] _placeAddresses = new nint[64];
    private readonly IndirectJumps _jumps;
    private readonly object _flushGate = new(); // Monitor.Wait: threads waiting for a flush, and the flusher for them
    private int _inCode;          // threads between EnterCode and LeaveCode
    private int _flushRequested;  // set while a flush waits for those threads and resets the space
    private long _generation;     // flushes so far: code addresses from an older generation are gone
    private ResidentProfile? _profile; // until the resident registers are chosen

    public JitEngine(GuestIsa isa, GuestMemory memory, JitOptions? options = null)
    {
        Isa = isa;
        Memory = memory;
        Options = options ?? new JitOptions();
        Vcpu.IHypervisor? hypervisor = Options.Hypervisor?.Invoke();
        bool vcpu = hypervisor is not null;
        if (vcpu)
        {
            Options = Options with
            {
                Addressing = MemoryAddressing.FsSegment,
                HostFeatures = Vcpu.VcpuHost.Features(Options.HostFeatures, hypervisor!),
            };
        }

        if (Options.CodeSpaceBytes is < JitOptions.MinCodeSpaceBytes or > JitOptions.MaxCodeSpaceBytes)
        {
            throw new ArgumentOutOfRangeException(
                nameof(options), Options.CodeSpaceBytes, $"JitOptions.CodeSpaceBytes must be in [{JitOptions.MinCodeSpaceBytes}, {JitOptions.MaxCodeSpaceBytes}]");
        }

        Code = new CodeBuffer(Options.CodeSpaceBytes);
        try
        {
            int instructionShift = System.Numerics.BitOperations.Log2((uint)isa.InstructionBytes);
            Host = vcpu ? new Vcpu.VcpuHost(hypervisor!, memory, Code, isa.InstructionBytes) : new InProcessHost(Options.Addressing, instructionShift);
            _jumps = Host.Jumps;
            Stubs = JitRuntimeStubs.Create(Code, Options.Addressing, isa.StateLayout.PcOffset, isa.StateLayout.NextPcOffset, _jumps, vcpu ? Vcpu.VcpuProtocol.ExitPort : (ushort)0);
            Host.Start(Stubs);
            _translator = new BlockTranslator(isa, memory, Options, Stubs);
            if (Options.ResidentRegisters is { } resident)
            {
                SetResident(X64.X64Emitter.ResidentHomes(isa, Options.Addressing, [.. resident]));
            }
            else if (Options.ResidentRegisterCount > 0)
            {
                _profile = new ResidentProfile(Host.AllocateData(ResidentProfile.CounterBytes));
            }

            Code.KeepPlaced(); // the stubs (the engine's and the host's) outlive flushes: every block jumps to them
        }
        catch
        {
            (Host as IDisposable)?.Dispose();
            Code.Dispose();
            throw;
        }

        memory.CodeModified += InvalidatePage;
    }

    /// <summary>
    /// Creates the process's code memory, its fault handler and Iced's encoder tables (milliseconds:
    /// thousands of objects) on another thread, so a caller with other start-up work, such as loading
    /// the program, does not wait for them when it creates the engine.
    /// </summary>
    public static void PrepareInBackground()
    {
        var thread = new Thread(() =>
        {
            try
            {
                CodeBuffer.Prepare();
            }
            catch (Exception)
            {
                // Not here: creating the engine meets the same failure (the lazy value keeps it) and reports it.
            }
        })
        { IsBackground = true, Name = "jit-prepare" };
        thread.Start();
    }

    /// <summary>Entries of the in-process direct-mapped table computed jumps look their target up in (guest PCs this many instructions apart share one).</summary>
    public const int LookupTableEntries = JitRuntimeStubs.LookupEntries;

    public GuestIsa Isa { get; }

    public GuestMemory Memory { get; }

    public JitOptions Options { get; }

    /// <summary>Blocks translated, guest instructions they hold and the time spent translating.</summary>
    public JitStatistics Statistics { get; } = new();

    internal CodeBuffer Code { get; }

    internal JitRuntimeStubs Stubs { get; }

    /// <summary>Where this engine's code runs.</summary>
    public IExecutionHost Host { get; }

    /// <summary>A CPU for one guest thread that runs on this engine.</summary>
    public ICpu CreateCpu() => new JitCpu(this, Isa.CreateCpu(Memory));

    /// <summary>True once the block at <paramref name="pc"/> has been reached (interpreted or translated).</summary>
    internal bool Visited(ulong pc)
    {
        lock (_lock)
        {
            return _visits.Contains(pc) || _blocks.ContainsKey(pc);
        }
    }

    /// <summary>The block at <paramref name="pc"/>, translating it on first use; null if its first instruction must be interpreted.</summary>
    internal JitBlock? GetBlock(ulong pc) => GetBlock(pc, translateNow: true, out _);

    /// <summary>
    /// The block at <paramref name="pc"/>; a block seen for the first time is not translated yet
    /// (code that runs once, like start-up and the dynamic linker, is cheaper to interpret than to
    /// translate): then <paramref name="interpret"/> is how many instructions it holds. Without
    /// <paramref name="countVisit"/> the visit does not count as one. When the code space is full,
    /// every translation is flushed first; the calling thread must not be in JIT code (between
    /// <see cref="EnterCode"/> and <see cref="LeaveCode"/>), as the flush waits for all that are.
    /// </summary>
    internal JitBlock? GetBlock(ulong pc, bool translateNow, out int interpret, bool countVisit = true)
    {
        while (true)
        {
            JitBlock? block = TryGetBlock(pc, translateNow, out interpret, countVisit, out long full);
            if (full < 0)
            {
                return block;
            }

            Flush(full);
        }
    }

    /// <summary>As <see cref="GetBlock(ulong, bool, out int, bool)"/>; <paramref name="fullAt"/> is the generation whose space had no room, else -1.</summary>
    private JitBlock? TryGetBlock(ulong pc, bool translateNow, out int interpret, bool countVisit, out long fullAt)
    {
        interpret = 0;
        fullAt = -1;
        lock (_lock)
        {
            if (_blocks.TryGetValue(pc, out JitBlock? known))
            {
                return known;
            }

            if (!translateNow && (countVisit ? _visits.Add(pc) : !_visits.Contains(pc)))
            {
                interpret = _translator.Length(pc);
                return null;
            }

            long start = Stopwatch.GetTimestamp();
            TranslatedBlock? t = _translator.Translate(pc, _profile?.NextCounter ?? 0);
            long translated = Stopwatch.GetTimestamp();
            Statistics.EmitTicks += translated - start;
            JitBlock? block = null;
            ulong end = pc + (ulong)Isa.InstructionBytes;
            if (t is not null)
            {
                int count = 1 + t.InstructionStarts.Length + t.Links.Count;
                if (_placeLabels.Length < count)
                {
                    _placeLabels = new Iced.Intel.Label[Math.Max(count, _placeLabels.Length * 2)];
                    _placeAddresses = new nint[_placeLabels.Length];
                }

                Span<Iced.Intel.Label> labels = _placeLabels.AsSpan(0, count);
                Span<nint> addresses = _placeAddresses.AsSpan(0, count);
                labels[0] = t.Entry;
                t.InstructionStarts.CopyTo(labels[1..]);
                for (int i = 0; i < t.Links.Count; i++)
                {
                    labels[1 + t.InstructionStarts.Length + i] = t.Links[i].Site;
                }

                if (!Code.TryPlace(t.Assembler, labels, addresses, out nint codeStart, out int codeSize))
                {
                    if (_byAddress.Count == 0)
                    {
                        throw new ExecutableMemoryFullException(
                            $"the block at guest 0x{pc:x8} ({t.Length} instructions) does not fit in an empty JIT code space ({Code.Room} bytes for blocks; JitOptions.CodeSpaceBytes is {Options.CodeSpaceBytes})");
                    }

                    // Translated again after the flush: the cost of one block, once per flush.
                    Statistics.TranslationTicks += Stopwatch.GetTimestamp() - start;
                    fullAt = _generation;
                    return null;
                }

                // What outlives the translation: the block and its arrays.
                block = new JitBlock(pc, t.EndPc, t.Length, addresses[0], codeStart, codeSize, t.Homes.ToArray(), addresses.Slice(1, t.InstructionStarts.Length).ToArray(), t.DelaySlot, t.RestartingSlots.Count == 0 ? [] : [.. t.RestartingSlots]);
                _byAddress.Add(block);
                _profile?.Placed(_translator.RegisterUses);
                Statistics.PlaceTicks += Stopwatch.GetTimestamp() - translated;
                end = t.EndPc;
                Statistics.Blocks++;
                Statistics.GuestInstructions += t.Length;
                _jumps.Translated(pc, block.Entry);
            }

            _blocks[pc] = block;
            if (Trace)
            {
                TraceOut.WriteLine($"jit: {Stopwatch.GetElapsedTime(start).TotalMicroseconds:0}us 0x{pc:x8} {t?.Length ?? 0} insns -> 0x{end:x8} {(block is null ? "" : $"code +0x{block.CodeStart - JitCode.Shared.Start:x} ")}{_translator.LastFailure} {(t is null ? "interp " + DisassembleAt(pc) : "")}");
                if (TraceCode && t is not null)
                {
                    for (ulong p = pc; p < end; p += (ulong)Isa.InstructionBytes)
                    {
                        TraceOut.WriteLine($"    {p:x8}  {DisassembleAt(p)}");
                    }

                    // The code as placed (after the layout's rewrites), at its offsets in the JIT memory.
                    if (block is not null)
                    {
                        byte[] code = new ReadOnlySpan<byte>((void*)block.CodeStart, block.CodeSize).ToArray();
                        ulong start0 = (ulong)(block.CodeStart - JitCode.Shared.Start);
                        var decoder = Iced.Intel.Decoder.Create(64, new Iced.Intel.ByteArrayCodeReader(code), start0);
                        var formatter = new Iced.Intel.NasmFormatter();
                        var output = new Iced.Intel.StringOutput();
                        while (decoder.IP < start0 + (ulong)code.Length)
                        {
                            decoder.Decode(out Iced.Intel.Instruction instruction);
                            formatter.Format(instruction, output);
                            TraceOut.WriteLine($"        {instruction.IP:x6}  {output.ToStringAndReset()}");
                        }
                    }
                }
            }
            for (ulong page = pc & ~(ulong)GuestMemory.PageMask; page < end; page += GuestMemory.PageSize)
            {
                if (!_pages.TryGetValue((uint)page, out List<ulong>? list))
                {
                    _pages[(uint)page] = list = [];
                }

                list.Add(pc);
                Memory.WatchCode((uint)page);
            }

            Statistics.TranslationTicks += Stopwatch.GetTimestamp() - start;
            return block;
        }
    }

    /// <summary>
    /// A thread ran <paramref name="instructions"/> guest instructions in JIT code (and is out of it
    /// now): once the profile has seen enough, the resident registers are chosen and everything
    /// translated so far is flushed, to be translated again for them.
    /// </summary>
    internal void Ran(long instructions)
    {
        ResidentProfile? profile = Volatile.Read(ref _profile);
        if (profile is null || !profile.Ran(instructions, Options.ResidentProfileInstructions))
        {
            return;
        }

        X64.X64Emitter.Home[] homes;
        long generation;
        lock (_lock)
        {
            if (_profile != profile)
            {
                return;
            }

            int count = Math.Min(Options.ResidentRegisterCount, X64.X64Emitter.HomeCount(Options.Addressing));
            homes = X64.X64Emitter.ResidentHomes(Isa, Options.Addressing, profile.Choose(Isa, count));
            generation = _generation;
        }

        Flush(generation, homes);
    }

    /// <summary>For the trace and the statistics: the name of the register at a state offset.</summary>
    private string RegisterName(int offset) => Isa.RegisterAt(offset) is (int file, int index)
        ? (Isa.Registers[file].ElementNames.Count > index ? Isa.Registers[file].ElementNames[index] : $"{Isa.Registers[file].Name}[{index}]")
        : $"@{offset}";

    /// <summary>Makes <paramref name="homes"/> the resident registers of the stubs and of the blocks translated from now on (no block may exist).</summary>
    private void SetResident(X64.X64Emitter.Home[] homes)
    {
        Stubs.SetResident(Code, homes);
        _translator.Resident = homes;
        Statistics.ResidentRegisters = string.Join(" ", homes.Select(h => RegisterName(h.Offset)));
        if (Trace)
        {
            TraceOut.WriteLine($"jit: resident registers {Statistics.ResidentRegisters}");
        }

        _profile = null; // its counters stay with the host, which frees them
    }

    /// <summary>A computed jump to <paramref name="block"/> missed: the table gets (back) its entry.</summary>
    internal void Remember(JitBlock block)
    {
        lock (_lock)
        {
            if (block.Valid)
            {
                _jumps.Missed(block.Pc, block.Entry);
            }
        }
    }

    /// <summary>
    /// Makes the jump at <paramref name="site"/> (in code of flush <paramref name="generation"/>) go
    /// straight to <paramref name="target"/>; nothing if a flush has dropped that code since.
    /// </summary>
    internal void Link(nint site, JitBlock target, long generation)
    {
        lock (_lock)
        {
            if (!target.Valid || generation != _generation)
            {
                return;
            }

            Code.PatchJump(site, target.Entry);
            target.Incoming.Add(site);
        }
    }

    /// <summary>The block whose code contains <paramref name="hostAddress"/>.</summary>
    internal JitBlock? FindByHostAddress(nint hostAddress)
    {
        lock (_lock)
        {
            int lo = 0, hi = _byAddress.Count - 1;
            while (lo <= hi)
            {
                int mid = (lo + hi) / 2;
                JitBlock b = _byAddress[mid];
                if (hostAddress < b.CodeStart)
                {
                    hi = mid - 1;
                }
                else if (hostAddress >= b.CodeStart + b.CodeSize)
                {
                    lo = mid + 1;
                }
                else
                {
                    return b;
                }
            }

            return null;
        }
    }

    /// <summary>
    /// Called before a thread runs <paramref name="block"/>: from here to <see cref="LeaveCode"/> no
    /// flush drops the code it runs, nor the block a fault in it maps back to. Waits while a flush
    /// is under way; false (and not entered) if the block was dropped meanwhile: look it up again.
    /// <paramref name="generation"/> is the flush generation of the code the thread runs.
    /// </summary>
    internal bool EnterCode(JitBlock block, out long generation)
    {
        while (true)
        {
            // Increment, then read the request; the flusher sets the request, then reads the count
            // (both full fences): one of the two sees the other.
            Interlocked.Increment(ref _inCode);
            if (Volatile.Read(ref _flushRequested) == 0)
            {
                break;
            }

            LeaveCode();
            lock (_flushGate)
            {
                while (Volatile.Read(ref _flushRequested) != 0)
                {
                    Monitor.Wait(_flushGate);
                }
            }
        }

        generation = Volatile.Read(ref _generation);
        if (block.Valid)
        {
            return true;
        }

        LeaveCode();
        return false;
    }

    /// <summary>The thread is out of JIT code again, and done with the code addresses its exit reported.</summary>
    internal void LeaveCode()
    {
        if (Interlocked.Decrement(ref _inCode) == 0 && Volatile.Read(ref _flushRequested) != 0)
        {
            lock (_flushGate)
            {
                Monitor.PulseAll(_flushGate);
            }
        }
    }

    /// <summary>
    /// Empties the full code space of <paramref name="generation"/>: new entries wait, the threads
    /// in JIT code finish their run (a block exit: at the latest the end of their instruction budget),
    /// then every block, link and lookup-table entry goes and the space is reset. Nothing if another
    /// thread has flushed that generation already.
    /// </summary>
    /// <param name="resident">Also makes these the resident registers (the blocks flushed were translated for others).</param>
    private void Flush(long generation, X64.X64Emitter.Home[]? resident = null)
    {
        lock (_flushGate)
        {
            if (Volatile.Read(ref _generation) != generation)
            {
                return;
            }

            Interlocked.Exchange(ref _flushRequested, 1);
            try
            {
                while (Volatile.Read(ref _inCode) != 0)
                {
                    Monitor.Wait(_flushGate);
                }

                lock (_lock)
                {
                    foreach (JitBlock block in _byAddress)
                    {
                        block.Valid = false;
                        block.Incoming.Clear();
                    }

                    _byAddress.Clear();
                    _blocks.Clear(); // _visits stay: code that ran before is translated on its next visit
                    _pages.Clear(); // still watched by the memory: a write reports a page with nothing to drop
                    _jumps.Flushed();
                    Code.Reset();
                    if (resident is not null)
                    {
                        SetResident(resident);
                    }

                    Volatile.Write(ref _generation, generation + 1);
                    Statistics.Flushes++;
                }
            }
            finally
            {
                Volatile.Write(ref _flushRequested, 0);
                Monitor.PulseAll(_flushGate);
            }
        }
    }

    /// <summary>Drops every translation of a guest page whose code may have changed.</summary>
    private void InvalidatePage(uint page)
    {
        lock (_lock)
        {
            if (!_pages.Remove(page, out List<ulong>? pcs))
            {
                return;
            }

            foreach (ulong pc in pcs)
            {
                if (!_blocks.Remove(pc, out JitBlock? block) || block is null)
                {
                    continue;
                }

                block.Valid = false;
                Statistics.Invalidations++;
                foreach (nint site in block.Incoming)
                {
                    Code.PatchJump(site, 0); // back to rel32 = 0: the site falls into its own way out
                }

                block.Incoming.Clear();
                _jumps.Invalidated(pc, block.Entry);
            }
        }
    }

    private static readonly bool Trace = Environment.GetEnvironmentVariable("ISA_JIT_TRACE") is "1" or "2";
    private static readonly TextWriter TraceOut = Environment.GetEnvironmentVariable("ISA_JIT_TRACE_FILE") is { Length: > 0 } file
        ? TextWriter.Synchronized(new StreamWriter(file, append: true) { AutoFlush = true })
        : Console.Error;
    private static readonly bool TraceCode = Environment.GetEnvironmentVariable("ISA_JIT_TRACE") == "2";

    /// <summary>For the trace: a block that is not translated may start on an unmapped page.</summary>
    private string DisassembleAt(ulong pc)
    {
        if (!Memory.IsMapped((uint)pc))
        {
            return "(unmapped)";
        }

        Span<byte> b = stackalloc byte[8];
        Memory.Peek((uint)pc, b[..Isa.InstructionBytes]);
        ulong word = Isa.ReadWord(b, 0);
        return Isa.Disassemble(word, pc) ?? $"(unknown 0x{word:x})";
    }

    public void Dispose()
    {
        Memory.CodeModified -= InvalidatePage;
        (Host as IDisposable)?.Dispose();
        Code.Dispose(); // the chunk serves the next engine
    }
}

/// <summary>What the JIT has done so far.</summary>
public sealed class JitStatistics
{
    private long _exits;
    private long _lookupMisses;

    public long Blocks { get; internal set; }

    public long GuestInstructions { get; internal set; }

    public long Invalidations { get; internal set; }

    /// <summary>Times the code space was full and every translation was dropped (<see cref="JitOptions.CodeSpaceBytes"/>).</summary>
    public long Flushes { get; internal set; }

    /// <summary>The guest registers kept in host registers across blocks (names, space-separated), once chosen.</summary>
    public string? ResidentRegisters { get; internal set; }

    /// <summary>Returns to the dispatcher from JIT code (a lookup miss, a link request, a budget's end, a trap or call-out).</summary>
    public long Exits => _exits;

    /// <summary>Computed jumps whose target the lookup table did not hold.</summary>
    public long LookupMisses => _lookupMisses;

    internal void CountExit(bool lookupMiss)
    {
        Interlocked.Increment(ref _exits);
        if (lookupMiss)
        {
            Interlocked.Increment(ref _lookupMisses);
        }
    }

    internal long TranslationTicks { get; set; }

    internal long EmitTicks { get; set; }

    internal long PlaceTicks { get; set; }

    public override string ToString() => $"emit {Stopwatch.GetElapsedTime(0, EmitTicks).TotalMilliseconds:0} ms, encode {Stopwatch.GetElapsedTime(0, PlaceTicks).TotalMilliseconds:0} ms, {Exits} exits, {LookupMisses} lookup misses";

    public TimeSpan TranslationTime => Stopwatch.GetElapsedTime(0, TranslationTicks);
}
