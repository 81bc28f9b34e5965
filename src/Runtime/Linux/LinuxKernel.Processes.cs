using System.Text;
using Isa.Runtime.Cpu;
using Isa.Runtime.Linux.Signals;
using Isa.Runtime.Memory;
using Microsoft.Win32.SafeHandles;

namespace Isa.Runtime.Linux;

/// <summary>
/// Guest processes. The .NET runtime cannot fork itself, so fork writes a snapshot of the guest
/// to a memfd and starts a child emulator (posix_spawn of our own entry, see <see cref="GuestLauncher"/>)
/// that restores it and resumes with clone's result 0; the guest's fds are host fds, inherited at
/// the same numbers. The child is a real host child: getpid, wait4 and kill need no translation
/// of pids. execve replaces this process by the emulator running the new program.
/// </summary>
public sealed partial class LinuxKernel
{
    /// <summary>fork, vfork and clone without CLONE_VM|CLONE_THREAD: returns the child's host pid.</summary>
    private long Fork(uint flags, uint stack, uint parentTid, uint tls, uint childTid)
    {
        if (_process.Launcher is not { } launcher)
        {
            return -(long)Errno.ENOSYS;
        }

        long memfd = HostSyscalls.CreateMemoryFile("isa-fork");
        if (memfd < 0)
        {
            return memfd;
        }

        try
        {
            using (var stream = new FileStream(new SafeFileHandle((nint)memfd, ownsHandle: false), FileAccess.Write, bufferSize: 1 << 16))
            {
                ForkSnapshot.Write(stream, _process, _cpu, _thread, flags, stack, tls, childTid);
            }

            List<string> argv = [.. launcher.Command, GuestLauncher.ResumeForkOption, memfd.ToString(System.Globalization.CultureInfo.InvariantCulture)];
            IEnumerable<int> inherit = _process.Files.Snapshot().Select(f => f.Host).Append((int)memfd);
            long pid = HostSyscalls.Spawn(argv, GuestLauncher.HostEnvironment(), inherit);
            if (pid > 0 && (flags & CloneParentSetTid) != 0)
            {
                WriteGuestWord(parentTid, (uint)pid);
            }

            // fork's exit signal is SIGCHLD; clone's is in the low byte of its flags (0: none).
            int exitSignal = flags == 0 ? _abi.GuestSignal(HostSignal.SIGCHLD) : (int)(flags & 0xff);
            if (pid > 0 && exitSignal is > 0 and <= 128)
            {
                WatchChild((int)pid, exitSignal);
            }

            return pid;
        }
        finally
        {
            HostSyscalls.Call(HostSyscalls.Close, memfd);
        }
    }

    /// <summary>
    /// Sends the guest its child's exit signal when the child ends (ash's <c>wait</c> builtin sleeps in
    /// sigsuspend until SIGCHLD): the host's own SIGCHLD goes to the runtime, so a host thread waits for
    /// the child without reaping it (WNOWAIT), leaving its status to the guest's wait4.
    /// </summary>
    private void WatchChild(int pid, int exitSignal)
    {
        var watcher = new Thread(() =>
        {
            (int code, int uid) = WaitWithoutReaping(pid);
            if (!_process.Threads.HasEnded)
            {
                RaiseProcessSignal(SignalInfo.FromProcess(exitSignal, code, pid, uid));
            }
        })
        {
            IsBackground = true,
            Name = "guest child watcher",
        };
        watcher.Start();
    }

    /// <summary>Waits until a child has ended, leaving it waitable; its si_code (CLD_*) and uid (CLD_EXITED if the guest reaped it first).</summary>
    private static unsafe (int Code, int Uid) WaitWithoutReaping(int pid)
    {
        const int PidType = 1, Exited = 4, NoWait = 0x0100_0000;
        byte* info = stackalloc byte[128];
        new Span<byte>(info, 128).Clear();
        long result;
        do
        {
            result = HostSyscalls.Call(HostSyscalls.Waitid, PidType, pid, (nint)info, Exited | NoWait, 0);
        }
        while (result == -(long)Errno.EINTR);

        return result < 0 ? (1 /* CLD_EXITED */, 0) : (*(int*)(info + 8), *(int*)(info + 20));
    }

    /// <summary>
    /// The only thread of a fork child restored from a snapshot, resuming after its clone with result 0
    /// under the forking thread's signal mask and alternate stack.
    /// </summary>
    internal static LinuxKernel ForkChild(GuestProcess process, ICpu cpu, TextWriter? strace, uint flags, uint stack, uint tls, uint childTid, SignalSet blocked, SignalStack altStack)
    {
        var kernel = new LinuxKernel(process, cpu, strace)
        {
            _tid = Environment.ProcessId,
            _clearChildTid = (flags & CloneChildClearTid) != 0 ? childTid : 0,
        };
        kernel._thread.Blocked = blocked;
        kernel._thread.AltStack = altStack;
        if (stack != 0)
        {
            process.Abi.SetStackPointer(cpu, stack);
        }

        if ((flags & CloneSetTls) != 0)
        {
            process.Abi.SetThreadPointer(cpu, tls);
        }

        process.Abi.SetResult(cpu, 0);
        cpu.SkipTrappedInstruction();
        if ((flags & CloneChildSetTid) != 0)
        {
            kernel.StoreTid(childTid);
        }

        return kernel;
    }

    /// <summary>
    /// execve: a guest ELF (or a #! script whose interpreter is one) replaces this process by the
    /// emulator running it, with the guest's argv and environment; guest fds without FD_CLOEXEC
    /// stay open and keep their numbers. Returns only on failure.
    /// </summary>
    private long Execve(uint pathAddress, uint argvAddress, uint envpAddress)
    {
        if (_process.Launcher is not { } launcher)
        {
            return -(long)Errno.ENOSYS;
        }

        string guestPath = Encoding.UTF8.GetString(_memory.ReadCString(pathAddress));
        List<string> argv = ReadStringArray(argvAddress), envp = ReadStringArray(envpAddress);
        string hostPath = guestPath == "/proc/self/exe" || guestPath == $"/proc/{Environment.ProcessId}/exe"
            ? _process.ExecutablePath // the host's would be the emulator (busybox re-executes itself through it)
            : Encoding.UTF8.GetString(InSysroot(Encoding.UTF8.GetBytes(guestPath)));
        long access = HostSyscalls.CallWithPath(HostSyscalls.Faccessat, HostSyscalls.AtFdCwd, Encoding.UTF8.GetBytes(hostPath), 1 /* X_OK */);
        if (access < 0)
        {
            return access;
        }

        if (ReadScriptInterpreter(hostPath) is { } script)
        {
            // The kernel's binfmt_script: interpreter [one argument] script-path original-argv[1..].
            List<string> scriptArgv = [script.Interpreter, .. script.Argument is null ? [] : new[] { script.Argument }, guestPath, .. argv.Skip(1)];
            argv = scriptArgv;
            guestPath = script.Interpreter;
            hostPath = Encoding.UTF8.GetString(InSysroot(Encoding.UTF8.GetBytes(guestPath)));
        }

        if (!IsGuestElf(hostPath))
        {
            return -(long)Errno.ENOEXEC;
        }

        List<(int Guest, int Host, bool CloseOnExec)> kept = _process.Files.Snapshot().Where(f => !f.CloseOnExec).ToList();
        // Ignored signals stay ignored and the mask stays (handled ones return to their default).
        SignalSet ignored = SignalSet.Empty;
        lock (ProcessSignals.Lock)
        {
            for (int signal = 1; signal <= ProcessSignals.SignalCount; signal++)
            {
                ignored = ProcessSignals.Action(signal).IsIgnore ? ignored.With(signal) : ignored;
            }
        }

        List<string> command =
        [
            .. launcher.Command,
            GuestLauncher.InheritFdsOption, GuestLauncher.FormatFds(kept),
            GuestLauncher.SignalStateOption, GuestLauncher.FormatSignalState(ignored.Bits, _thread.Blocked.Bits),
            GuestLauncher.Argv0Option, argv.Count > 0 ? argv[0] : "",
            "--", hostPath, .. argv.Skip(1),
        ];
        foreach ((_, int host, _) in kept)
        {
            HostSyscalls.Call(HostSyscalls.Fcntl, host, 2 /* F_SETFD */, 0);
        }

        long error = HostSyscalls.Execute(command, envp);
        foreach ((_, int host, _) in kept)
        {
            HostSyscalls.Call(HostSyscalls.Fcntl, host, 2 /* F_SETFD */, 1 /* FD_CLOEXEC */);
        }

        return error;
    }

    /// <summary>
    /// The signal state a program started by a guest's execve keeps (<see cref="GuestLauncher.SignalStateOption"/>):
    /// its ignored signals and its mask. Call before <see cref="Run"/>.
    /// </summary>
    public void KeepAcrossExec(SignalSet ignored, SignalSet blocked)
    {
        lock (ProcessSignals.Lock)
        {
            for (int signal = ignored.Lowest; signal != 0; ignored = ignored.Without(signal), signal = ignored.Lowest)
            {
                if (signal <= ProcessSignals.SignalCount && !_unblockable.Contains(signal))
                {
                    var action = new SignalAction(Signals.SignalAction.Ignore, 0, SignalSet.Empty);
                    ProcessSignals.Action(signal) = action;
                    UpdateForwarding(signal, action);
                }
            }

            _thread.Blocked = blocked.Except(_unblockable);
        }
    }

    private List<string> ReadStringArray(uint address)
    {
        var strings = new List<string>();
        if (address == 0)
        {
            return strings;
        }

        Span<byte> word = stackalloc byte[4];
        for (uint at = address; strings.Count < 65536; at += 4)
        {
            _memory.Read(at, word);
            uint pointer = ReadWord(word);
            if (pointer == 0)
            {
                return strings;
            }

            strings.Add(Encoding.UTF8.GetString(_memory.ReadCString(pointer, 128 * 1024)));
        }

        throw new GuestFaultException(address, MemoryPermissions.Read); // E2BIG in spirit: no terminator in reach
    }

    /// <summary>The interpreter (and its optional single argument) of a <c>#!</c> script, or null.</summary>
    private static (string Interpreter, string? Argument)? ReadScriptInterpreter(string hostPath)
    {
        var head = new byte[256];
        int n;
        try
        {
            using FileStream file = File.OpenRead(hostPath);
            n = file.ReadAtLeast(head, head.Length, throwOnEndOfStream: false);
        }
        catch (IOException)
        {
            return null;
        }
        catch (UnauthorizedAccessException)
        {
            return null;
        }

        if (n < 3 || head[0] != '#' || head[1] != '!')
        {
            return null;
        }

        int end = Array.IndexOf(head, (byte)'\n', 2, n - 2);
        string line = Encoding.UTF8.GetString(head, 2, (end < 0 ? n : end) - 2).Trim();
        int space = line.IndexOfAny([' ', '\t']);
        return line.Length == 0 ? null : space < 0 ? (line, null) : (line[..space], line[(space + 1)..].Trim());
    }

    /// <summary>True if the file is an ELF executable of this process's ISA (class, byte order and machine).</summary>
    private bool IsGuestElf(string hostPath)
    {
        Span<byte> header = stackalloc byte[20];
        try
        {
            using FileStream file = File.OpenRead(hostPath);
            if (file.ReadAtLeast(header, header.Length, throwOnEndOfStream: false) < header.Length)
            {
                return false;
            }
        }
        catch (IOException)
        {
            return false;
        }
        catch (UnauthorizedAccessException)
        {
            return false;
        }

        bool big = _process.Isa.Endianness == Endianness.Big;
        ushort machine = big ? System.Buffers.Binary.BinaryPrimitives.ReadUInt16BigEndian(header[18..]) : System.Buffers.Binary.BinaryPrimitives.ReadUInt16LittleEndian(header[18..]);
        return header[..4].SequenceEqual((ReadOnlySpan<byte>)[0x7f, (byte)'E', (byte)'L', (byte)'F']) && header[4] == 1 /* ELFCLASS32 */ && header[5] == (big ? 2 : 1) && machine == _process.Isa.ElfMachine;
    }

    /// <summary>wait4: waits for a host child (fork children are host processes) and translates its status.</summary>
    private unsafe long Wait4(int pid, uint statusAddress, int options, uint rusageAddress)
    {
        int status = 0;
        long* usage = stackalloc long[18];
        long result;
        do
        {
            result = HostSyscalls.Call(HostSyscalls.Wait4, pid, (nint)(&status), options, (nint)usage);
        }
        while (result == -(long)Errno.EINTR && !_process.Threads.HasEnded);

        if (result <= 0)
        {
            return result;
        }

        if (statusAddress != 0)
        {
            WriteGuestWord(statusAddress, (uint)GuestWaitStatus(status));
        }

        WriteUsage(rusageAddress, usage);
        return result;
    }

    /// <summary>waitid: the host's, with the child's siginfo rewritten in the guest's layout and signal numbers.</summary>
    private unsafe long WaitId(int idType, int id, uint siginfoAddress, int options, uint rusageAddress)
    {
        byte* info = stackalloc byte[128];
        new Span<byte>(info, 128).Clear();
        long* usage = stackalloc long[18];
        long result;
        do
        {
            result = HostSyscalls.Call(HostSyscalls.Waitid, idType, id, (nint)info, options, (nint)usage);
        }
        while (result == -(long)Errno.EINTR && !_process.Threads.HasEnded);

        if (result < 0)
        {
            return result;
        }

        if (siginfoAddress != 0)
        {
            int signal = *(int*)info, code = *(int*)(info + 8), pid = *(int*)(info + 16), status = *(int*)(info + 24);
            uint uid = *(uint*)(info + 20);
            const int ClaimExited = 1;
            var bytes = new byte[128];
            _abi.WriteChildSiginfo(
                bytes,
                signal == 0 ? 0 : _abi.GuestSignal(signal),
                code,
                pid,
                uid,
                code == ClaimExited || signal == 0 ? status : _abi.GuestSignal(status),
                _bigEndian);
            _memory.Write(siginfoAddress, bytes);
        }

        WriteUsage(rusageAddress, usage);
        return result;
    }

    /// <summary>Writes a host struct rusage as the o32 one: two timevals of 32-bit fields, then 14 longs (host: all 64-bit).</summary>
    private unsafe void WriteUsage(uint address, long* usage)
    {
        if (address == 0)
        {
            return;
        }

        var bytes = new byte[18 * 4];
        var w = new GuestStructWriter(bytes, _bigEndian);
        for (int i = 0; i < 18; i++)
        {
            w.U32(i * 4, (uint)usage[i]);
        }

        _memory.Write(address, bytes);
    }

    /// <summary>A host wait status with its signal numbers in the guest's numbering.</summary>
    private int GuestWaitStatus(int status)
    {
        int low = status & 0x7f;
        if (low == 0 || status == 0xffff)
        {
            return status; // exited, or continued
        }

        if ((status & 0xff) == 0x7f)
        {
            return (status & ~0xff00) | ((_abi.GuestSignal((status >> 8) & 0xff) & 0xff) << 8); // stopped
        }

        return (status & ~0x7f) | (_abi.GuestSignal(low) & 0x7f); // killed (core flag kept)
    }
}
