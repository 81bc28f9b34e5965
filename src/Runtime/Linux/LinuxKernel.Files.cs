using System.Runtime.InteropServices;
using System.Text;
using Isa.Runtime.Memory;

namespace Isa.Runtime.Linux;

public sealed partial class LinuxKernel
{
    private const int AtEmptyPath = 0x1000, OCloexec = 0x80000;

    private long WithFd(uint guestFd, Func<int, long> call)
    {
        int fd = _process.Files.Host(guestFd);
        return fd < 0 ? -(long)Errno.EBADF : call(fd);
    }

    /// <summary>A host fd for a *at() directory argument: AT_FDCWD stays, others are translated.</summary>
    private int DirFd(int guestDirFd) => guestDirFd == HostSyscalls.AtFdCwd ? HostSyscalls.AtFdCwd : _process.Files.Host((uint)guestDirFd);

    /// <summary>A syscall on (fd, guest buffer, length[, extra]) done by the host kernel in place.</summary>
    private long HostBuffer(long number, uint guestFd, uint address, uint length, bool write, long extra = 0)
    {
        nint buffer = _memory.HostAddress(address, length, write ? MemoryPermissions.Write : MemoryPermissions.Read);
        return WithFd(guestFd, fd => HostSyscalls.Call(number, fd, buffer, length, extra));
    }

    /// <summary>A syscall that fills (guest buffer, length[, extra]) and takes no fd: getcwd, getrandom.</summary>
    private long HostFill(long number, uint address, uint length, long extra = 0)
    {
        nint buffer = _memory.HostAddress(address, length, MemoryPermissions.Write);
        return HostSyscalls.Call(number, buffer, length, extra);
    }

    /// <summary>The 64-bit offset passed in an aligned register pair starting at argument <paramref name="first"/>.</summary>
    private long Offset64(int first)
    {
        ulong low = Arg(first), high = Arg(first + 1);
        return _bigEndian ? (long)((low << 32) | high) : (long)((high << 32) | low);
    }

    private unsafe long Vectored(long number, uint guestFd, uint vectorAddress, int count, bool write)
    {
        if (count < 0 || count > 1024)
        {
            return -(long)Errno.EINVAL;
        }

        var host = new long[count * 2];
        Span<byte> entry = stackalloc byte[8];
        for (int i = 0; i < count; i++)
        {
            _memory.Read(vectorAddress + (uint)(i * 8), entry);
            uint address = ReadWord(entry), length = ReadWord(entry[4..]);
            host[2 * i] = _memory.HostAddress(address, length, write ? MemoryPermissions.Write : MemoryPermissions.Read);
            host[(2 * i) + 1] = length;
        }

        fixed (long* iov = host)
        {
            nint vector = (nint)iov;
            return WithFd(guestFd, fd => HostSyscalls.Call(number, fd, vector, count));
        }
    }

    private uint ReadWord(ReadOnlySpan<byte> bytes) => _bigEndian
        ? System.Buffers.Binary.BinaryPrimitives.ReadUInt32BigEndian(bytes)
        : System.Buffers.Binary.BinaryPrimitives.ReadUInt32LittleEndian(bytes);

    /// <summary>A guest path as the host should see it: inside the sysroot when it exists there (qemu's -L rule).</summary>
    private byte[] ReadPath(uint address) => InSysroot(_memory.ReadCString(address));

    private byte[] InSysroot(byte[] path)
    {
        if (_process.Sysroot is { } root && path.Length > 0 && path[0] == '/')
        {
            string text = Encoding.UTF8.GetString(path);
            string inRoot = Path.Join(root, text);
            if (text != "/" && (File.Exists(inRoot) || Directory.Exists(inRoot)))
            {
                return Encoding.UTF8.GetBytes(inRoot);
            }
        }

        return path;
    }

    private long PathCall(long number, int guestDirFd, uint pathAddress, uint extra)
    {
        int dirFd = DirFd(guestDirFd);
        return dirFd == -1 ? -(long)Errno.EBADF : HostSyscalls.CallWithPath(number, dirFd, ReadPath(pathAddress), extra);
    }

    private static unsafe long PathCall(long number, byte[] path)
    {
        fixed (byte* p = HostSyscalls.NulTerminated(path))
        {
            return HostSyscalls.Call(number, (long)p);
        }
    }

    private long TwoPaths(long number, int guestDirFd1, uint path1, int guestDirFd2, uint path2)
        => HostSyscalls.CallWithTwoPaths(number, DirFd(guestDirFd1), ReadPath(path1), DirFd(guestDirFd2), ReadPath(path2));

    private long Open(int guestDirFd, uint pathAddress, int guestFlags, uint mode)
    {
        int flags = LinuxAbi.Translate(guestFlags, _abi.OpenFlags, toHost: true);
        int dirFd = DirFd(guestDirFd);
        if (dirFd == -1)
        {
            return -(long)Errno.EBADF;
        }

        long fd = HostSyscalls.CallWithPath(HostSyscalls.Openat, dirFd, ReadPath(pathAddress), flags | 0x80000 /* host O_CLOEXEC */, mode);
        return fd < 0 ? fd : _process.Files.Add((int)fd, closeOnExec: (flags & OCloexec) != 0);
    }

    private long LongSeek(uint guestFd, uint high, uint low, uint resultAddress, int whence)
    {
        long offset = (long)(((ulong)high << 32) | low);
        long result = WithFd(guestFd, fd => HostSyscalls.Call(HostSyscalls.Lseek, fd, offset, whence));
        if (result >= 0)
        {
            Span<byte> bytes = stackalloc byte[8];
            new GuestStructWriter(bytes, _bigEndian).U64(0, (ulong)result);
            _memory.Write(resultAddress, bytes);
            return 0;
        }

        return result;
    }

    /// <summary>The host's statx of a (host) path, or of the fd itself when <paramref name="path"/> is null.</summary>
    private unsafe long HostStatx(int guestDirFd, byte[]? path, int flags, out HostStat stat, byte[] raw)
    {
        stat = default;
        int dirFd = path is null ? _process.Files.Host((uint)guestDirFd) : DirFd(guestDirFd);
        if (dirFd == -1)
        {
            return -(long)Errno.EBADF;
        }

        long result;
        fixed (byte* buffer = raw)
        {
            result = HostSyscalls.CallWithPath(HostSyscalls.Statx, dirFd, path ?? [], flags | (path is null ? AtEmptyPath : 0), 0xfff /* STATX_ALL */, (long)buffer);
        }

        if (result < 0)
        {
            return result;
        }

        uint U32(int o) => MemoryMarshal.Read<uint>(raw.AsSpan(o));
        long I64(int o) => MemoryMarshal.Read<long>(raw.AsSpan(o));
        stat = new HostStat(
            Device: EncodeDevice(U32(136), U32(140)),
            Inode: (ulong)I64(32),
            Mode: MemoryMarshal.Read<ushort>(raw.AsSpan(28)),
            Links: U32(16),
            Uid: U32(20),
            Gid: U32(24),
            RawDevice: EncodeDevice(U32(128), U32(132)),
            Size: I64(40),
            BlockSize: (int)U32(4),
            Blocks: I64(48),
            AccessSeconds: I64(64),
            AccessNanoseconds: U32(72),
            ModifySeconds: I64(112),
            ModifyNanoseconds: U32(120),
            ChangeSeconds: I64(96),
            ChangeNanoseconds: U32(104));
        return 0;
    }

    private static ulong EncodeDevice(uint major, uint minor) => (minor & 0xff) | (major << 8) | ((minor & ~0xffu) << 12);

    private long Stat64(int guestDirFd, uint? pathAddress, uint statAddress, int flags)
    {
        long result = HostStatx(guestDirFd, pathAddress is { } p ? ReadPath(p) : null, flags, out HostStat stat, new byte[256]);
        if (result < 0)
        {
            return result;
        }

        var bytes = new byte[_abi.Stat64Size];
        _abi.WriteStat64(bytes, stat, _bigEndian);
        _memory.Write(statAddress, bytes);
        return 0;
    }

    /// <summary>statx: one layout on every ABI, written in the guest's byte order field by field.</summary>
    private long Statx(int guestDirFd, uint pathAddress, int flags, uint statxAddress)
    {
        byte[] path = _memory.ReadCString(pathAddress);
        var raw = new byte[256];
        long result = HostStatx(guestDirFd, path.Length == 0 && (flags & AtEmptyPath) != 0 ? null : InSysroot(path), flags, out _, raw);
        if (result < 0)
        {
            return result;
        }

        var guest = new byte[256];
        var w = new GuestStructWriter(guest, _bigEndian);
        ReadOnlySpan<byte> s = raw;
        foreach (int o in new[] { 0, 4, 16, 20, 24, 72, 88, 104, 120, 128, 132, 136, 140 })
        {
            w.U32(o, MemoryMarshal.Read<uint>(s[o..]));
        }

        w.U16(28, MemoryMarshal.Read<ushort>(s[28..]));
        foreach (int o in new[] { 8, 32, 40, 48, 56, 64, 80, 96, 112 })
        {
            w.U64(o, MemoryMarshal.Read<ulong>(s[o..]));
        }

        _memory.Write(statxAddress, guest);
        return 0;
    }

    private long ReadLink(int guestDirFd, uint pathAddress, uint bufferAddress, uint size)
    {
        string path = Encoding.UTF8.GetString(_memory.ReadCString(pathAddress));
        if (path == "/proc/self/exe")
        {
            byte[] target = Encoding.UTF8.GetBytes(Path.GetFullPath(_process.ExecutablePath));
            int n = (int)Math.Min(size, (uint)target.Length);
            _memory.Write(bufferAddress, target.AsSpan(0, n));
            return n;
        }

        nint buffer = _memory.HostAddress(bufferAddress, size, MemoryPermissions.Write);
        return HostSyscalls.CallWithPath(HostSyscalls.Readlinkat, DirFd(guestDirFd), ReadPath(pathAddress), buffer, size);
    }

    private long Dup(uint guestFd, int minimum, bool closeOnExec = false)
    {
        long host = WithFd(guestFd, fd => HostSyscalls.Call(HostSyscalls.Fcntl, fd, 1030 /* F_DUPFD_CLOEXEC */, 100));
        return host < 0 ? host : _process.Files.Add((int)host, minimum, closeOnExec);
    }

    private long Dup2(uint guestFd, uint target, int guestFlags = 0)
    {
        if (guestFd == target)
        {
            return _process.Files.Host(guestFd) < 0 ? -(long)Errno.EBADF : target;
        }

        long host = WithFd(guestFd, fd => HostSyscalls.Call(HostSyscalls.Fcntl, fd, 1030, 100));
        if (host < 0)
        {
            return host;
        }

        _process.Files.Set(target, (int)host, closeOnExec: (LinuxAbi.Translate(guestFlags, _abi.OpenFlags, toHost: true) & OCloexec) != 0);
        return target;
    }

    private long Fcntl(uint guestFd, int command, uint argument) => command switch
    {
        0 => Dup(guestFd, (int)argument),                                     // F_DUPFD
        1030 => Dup(guestFd, (int)argument, closeOnExec: true),               // F_DUPFD_CLOEXEC
        1 => _process.Files.CloseOnExec(guestFd) is { } cloexec ? (cloexec ? 1 : 0) : -(long)Errno.EBADF, // F_GETFD
        2 => _process.Files.SetCloseOnExec(guestFd, (argument & 1) != 0) ? 0 : -(long)Errno.EBADF,     // F_SETFD (host fds stay close-on-exec)
        3 => WithFd(guestFd, fd =>                                            // F_GETFL
        {
            long flags = HostSyscalls.Call(HostSyscalls.Fcntl, fd, 3);
            return flags < 0 ? flags : LinuxAbi.Translate((int)flags & ~0x80000, _abi.OpenFlags, toHost: false);
        }),
        4 => WithFd(guestFd, fd => HostSyscalls.Call(HostSyscalls.Fcntl, fd, 4, LinuxAbi.Translate((int)argument, _abi.OpenFlags, toHost: true))),
        _ => -(long)Errno.EINVAL,
    };

    private long Ioctl(uint guestFd, uint request, uint argument)
    {
        foreach ((uint guest, uint host) in _abi.TerminalIoctls)
        {
            if (guest != request)
            {
                continue;
            }

            return host switch
            {
                0x5401 => WithFd(guestFd, fd => HostSyscalls.Call(HostSyscalls.Ioctl, fd, 0x5401, _memory.HostAddress(argument, 60, MemoryPermissions.Write))),
                0x5413 => WindowSize(guestFd, argument),
                _ => -(long)Errno.ENOTTY,
            };
        }

        return -(long)Errno.ENOTTY;
    }

    private unsafe long WindowSize(uint guestFd, uint address)
    {
        ushort* size = stackalloc ushort[4];
        long result = WithFd(guestFd, fd => HostSyscalls.Call(HostSyscalls.Ioctl, fd, 0x5413, (nint)size));
        if (result >= 0)
        {
            var bytes = new byte[8];
            var w = new GuestStructWriter(bytes, _bigEndian);
            for (int i = 0; i < 4; i++)
            {
                w.U16(i * 2, size[i]);
            }

            _memory.Write(address, bytes);
        }

        return result;
    }

    private unsafe long Pipe(uint fdsAddress, bool secondInRegister, int flags = 0)
    {
        int* fds = stackalloc int[2];
        int hostFlags = LinuxAbi.Translate(flags, _abi.OpenFlags, toHost: true);
        long result = HostSyscalls.Call(HostSyscalls.Pipe2, (nint)fds, hostFlags | OCloexec);
        if (result < 0)
        {
            return result;
        }

        bool closeOnExec = (hostFlags & OCloexec) != 0;
        int read = _process.Files.Add(fds[0], closeOnExec: closeOnExec), write = _process.Files.Add(fds[1], closeOnExec: closeOnExec);
        if (secondInRegister)
        {
            _abi.SetSecondResult(_cpu, (uint)write);
            return read;
        }

        var bytes = new byte[8];
        var w = new GuestStructWriter(bytes, _bigEndian);
        w.U32(0, (uint)read);
        w.U32(4, (uint)write);
        _memory.Write(fdsAddress, bytes);
        return 0;
    }
}
