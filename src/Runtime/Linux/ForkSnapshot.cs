using System.Text;
using Isa.Runtime.Cpu;
using Isa.Runtime.Linux.Signals;
using Isa.Runtime.Memory;

namespace Isa.Runtime.Linux;

/// <summary>
/// A guest process as fork leaves it for the child, written to a file the child emulator
/// inherits: the ISA and program, heap break, every mapped page with its permissions and (when not
/// all zero) its contents, the forking thread's registers, the clone arguments that concern the
/// child, the fd table (whose host fds the child inherits at the same numbers), the signal
/// dispositions and the forking thread's signal mask and alternate stack (pending signals and
/// interval timers are not inherited, as in Linux).
/// </summary>
public sealed class ForkSnapshot
{
    private const string Magic = "ISAFORK1";

    private ForkSnapshot(string isaName, string executablePath)
    {
        IsaName = isaName;
        ExecutablePath = executablePath;
    }

    /// <summary>The ISA to resume (<see cref="GuestIsa.Name"/>).</summary>
    public string IsaName { get; }

    public string ExecutablePath { get; }

    private uint BrkStart { get; set; }

    private uint Brk { get; set; }

    private List<ulong[]> Registers { get; } = new();

    private ulong Pc { get; set; }

    private uint Flags { get; set; }

    private uint Stack { get; set; }

    private uint Tls { get; set; }

    private uint ChildTid { get; set; }

    private uint Trampoline { get; set; }

    private List<SignalAction> Actions { get; } = new();

    private SignalSet Blocked { get; set; }

    private SignalStack AltStack { get; set; }

    /// <summary>The fds the child inherits as (guest fd, host fd, close-on-exec).</summary>
    public List<(int Guest, int Host, bool CloseOnExec)> Files { get; } = new();

    private List<(uint Start, uint Pages, MemoryPermissions Permissions)> Regions { get; } = new();

    private List<(uint Address, byte[] Data)> Pages { get; } = new();

    /// <summary>Writes the snapshot of <paramref name="process"/> forked by the thread of <paramref name="cpu"/> (stopped at its clone syscall).</summary>
    internal static void Write(Stream stream, GuestProcess process, ICpu cpu, ThreadSignals thread, uint flags, uint stack, uint tls, uint childTid)
    {
        using var w = new BinaryWriter(stream, Encoding.UTF8, leaveOpen: true);
        w.Write(Magic);
        w.Write(process.Isa.Name);
        w.Write(process.ExecutablePath);
        w.Write(process.Brk);
        w.Write(process.BrkStart);
        IReadOnlyList<RegisterFileInfo> files = cpu.Isa.Registers;
        w.Write(files.Count);
        for (int file = 0; file < files.Count; file++)
        {
            w.Write(files[file].Count);
            for (int i = 0; i < files[file].Count; i++)
            {
                w.Write(cpu.GetRegister(file, i));
            }
        }

        w.Write(cpu.Pc);
        w.Write(flags);
        w.Write(stack);
        w.Write(tls);
        w.Write(childTid);
        List<(int Guest, int Host, bool CloseOnExec)> fds = process.Files.Snapshot();
        w.Write(fds.Count);
        foreach ((int guest, int host, bool closeOnExec) in fds)
        {
            w.Write(guest);
            w.Write(host);
            w.Write(closeOnExec);
        }

        ProcessSignals signals = process.Signals;
        lock (signals.Lock)
        {
            w.Write(signals.Trampoline);
            w.Write(signals.SignalCount);
            for (int signal = 1; signal <= signals.SignalCount; signal++)
            {
                SignalAction action = signals.Action(signal);
                w.Write(action.Handler);
                w.Write(action.Flags);
                WriteSet(w, action.Mask);
            }

            WriteSet(w, thread.Blocked);
            w.Write(thread.AltStack.Base);
            w.Write(thread.AltStack.Size);
            w.Write(thread.AltStack.Flags);
        }

        GuestMemory memory = process.Memory;
        lock (process.AddressSpaceLock)
        {
            var regions = new List<(uint Start, uint Pages, MemoryPermissions Permissions)>();
            for (ulong page = 0; page < 1UL << 32; page += GuestMemory.PageSize)
            {
                if (!memory.IsMapped((uint)page))
                {
                    continue;
                }

                MemoryPermissions permissions = memory.PermissionsAt((uint)page);
                if (regions.Count > 0 && regions[^1] is var last && last.Permissions == permissions && last.Start + ((ulong)last.Pages << GuestMemory.PageShift) == page)
                {
                    regions[^1] = (last.Start, last.Pages + 1, permissions);
                }
                else
                {
                    regions.Add(((uint)page, 1, permissions));
                }
            }

            w.Write(regions.Count);
            foreach ((uint start, uint pages, MemoryPermissions permissions) in regions)
            {
                w.Write(start);
                w.Write(pages);
                w.Write((byte)permissions);
            }

            var data = new byte[GuestMemory.PageSize];
            foreach ((uint start, uint pages, _) in regions)
            {
                for (ulong page = start; page < start + ((ulong)pages << GuestMemory.PageShift); page += GuestMemory.PageSize)
                {
                    memory.Peek((uint)page, data);
                    if (data.AsSpan().IndexOfAnyExcept((byte)0) >= 0)
                    {
                        w.Write(true);
                        w.Write((uint)page);
                        w.Write(data);
                    }
                }
            }

            w.Write(false);
        }
    }

    /// <summary>Reads a snapshot; throws <see cref="InvalidDataException"/> if it is not one.</summary>
    public static ForkSnapshot Read(Stream stream)
    {
        using var r = new BinaryReader(stream, Encoding.UTF8, leaveOpen: true);
        try
        {
            if (r.ReadString() != Magic)
            {
                throw new InvalidDataException("not an isa fork snapshot");
            }

            var s = new ForkSnapshot(r.ReadString(), r.ReadString()) { Brk = r.ReadUInt32(), BrkStart = r.ReadUInt32() };
            int files = r.ReadInt32();
            for (int file = 0; file < files; file++)
            {
                var values = new ulong[r.ReadInt32()];
                for (int i = 0; i < values.Length; i++)
                {
                    values[i] = r.ReadUInt64();
                }

                s.Registers.Add(values);
            }

            s.Pc = r.ReadUInt64();
            s.Flags = r.ReadUInt32();
            s.Stack = r.ReadUInt32();
            s.Tls = r.ReadUInt32();
            s.ChildTid = r.ReadUInt32();
            int fds = r.ReadInt32();
            for (int i = 0; i < fds; i++)
            {
                s.Files.Add((r.ReadInt32(), r.ReadInt32(), r.ReadBoolean()));
            }

            s.Trampoline = r.ReadUInt32();
            int signals = r.ReadInt32();
            if (signals is < 0 or > 128)
            {
                throw new InvalidDataException($"a fork snapshot with {signals} signals");
            }

            for (int i = 0; i < signals; i++)
            {
                s.Actions.Add(new SignalAction(r.ReadUInt32(), r.ReadUInt32(), ReadSet(r)));
            }

            s.Blocked = ReadSet(r);
            s.AltStack = new SignalStack(r.ReadUInt32(), r.ReadUInt32(), r.ReadInt32());

            int regions = r.ReadInt32();
            for (int i = 0; i < regions; i++)
            {
                s.Regions.Add((r.ReadUInt32(), r.ReadUInt32(), (MemoryPermissions)r.ReadByte()));
            }

            while (r.ReadBoolean())
            {
                s.Pages.Add((r.ReadUInt32(), r.ReadBytes((int)GuestMemory.PageSize)));
            }

            return s;
        }
        catch (EndOfStreamException)
        {
            throw new InvalidDataException("truncated isa fork snapshot");
        }
        catch (Exception e) when (e is OverflowException or ArgumentException or OutOfMemoryException)
        {
            throw new InvalidDataException("corrupt isa fork snapshot");
        }
    }

    /// <summary>
    /// Rebuilds the child in a fresh <paramref name="process"/> (whose fd table the caller has made
    /// from <see cref="Files"/>) and returns the kernel of its only thread, which resumes after
    /// the clone syscall with result 0.
    /// </summary>
    public LinuxKernel Restore(GuestProcess process, ICpu cpu, TextWriter? strace)
    {
        if (cpu.Isa.Name != IsaName || Registers.Count != cpu.Isa.Registers.Count)
        {
            throw new InvalidDataException($"the fork snapshot is of {IsaName}, not {cpu.Isa.Name}");
        }

        GuestMemory memory = process.Memory;
        foreach ((uint start, uint pages, _) in Regions)
        {
            memory.Map(start, (ulong)pages << GuestMemory.PageShift, MemoryPermissions.ReadWrite);
        }

        foreach ((uint address, byte[] data) in Pages)
        {
            memory.Poke(address, data);
        }

        foreach ((uint start, uint pages, MemoryPermissions permissions) in Regions)
        {
            memory.Protect(start, (ulong)pages << GuestMemory.PageShift, permissions);
        }

        process.BrkStart = BrkStart;
        process.Brk = Brk;
        for (int file = 0; file < Registers.Count; file++)
        {
            for (int i = 0; i < Registers[file].Length && i < cpu.Isa.Registers[file].Count; i++)
            {
                cpu.SetRegister(file, i, Registers[file][i]);
            }
        }

        cpu.Pc = Pc;
        if (Actions.Count != process.Signals.SignalCount)
        {
            throw new InvalidDataException($"the fork snapshot has {Actions.Count} signals, the ABI {process.Signals.SignalCount}");
        }

        process.Signals.Trampoline = Trampoline;
        for (int signal = 1; signal <= Actions.Count; signal++)
        {
            process.Signals.Action(signal) = Actions[signal - 1];
            if (!Actions[signal - 1].IsDefault && process.Abi.HostSignal(signal) is var host and > 0)
            {
                process.Signals.Forwarding.Catch(host, enable: true); // as the parent: an outside kill reaches the handler
            }
        }

        return LinuxKernel.ForkChild(process, cpu, strace, Flags, Stack, Tls, ChildTid, Blocked, AltStack);
    }

    private static void WriteSet(BinaryWriter w, SignalSet set)
    {
        w.Write((ulong)set.Bits);
        w.Write((ulong)(set.Bits >> 64));
    }

    private static SignalSet ReadSet(BinaryReader r)
    {
        ulong low = r.ReadUInt64();
        return new SignalSet(((UInt128)r.ReadUInt64() << 64) | low);
    }
}
