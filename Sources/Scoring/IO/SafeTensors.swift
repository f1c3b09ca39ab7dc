import Foundation
import CKernels
#if canImport(Glibc)
import Glibc
#endif

/// Element types a safetensors file may declare. Only the floating types are usable as weights.
public enum DType: String, Sendable, Codable, CaseIterable {
    case f64 = "F64", f32 = "F32", f16 = "F16", bf16 = "BF16"
    case i64 = "I64", i32 = "I32", i16 = "I16", i8 = "I8", u8 = "U8", bool = "BOOL"

    public var byteSize: Int {
        switch self {
        case .f64, .i64: 8
        case .f32, .i32: 4
        case .f16, .bf16, .i16: 2
        case .i8, .u8, .bool: 1
        }
    }
}

/// Errors reading or writing safetensors files; each names the file and what was expected.
public enum SafeTensorsError: Error, CustomStringConvertible, Equatable {
    case cannotOpen(file: String, reason: String)
    case truncated(file: String, expectedBytes: Int, foundBytes: Int)
    case badHeader(file: String, reason: String)
    case unknownDType(file: String, tensor: String, dtype: String)
    case badOffsets(file: String, tensor: String, reason: String)
    case missingTensor(file: String, tensor: String)
    case unsupportedDType(file: String, tensor: String, dtype: String, expected: String)
    case badIndex(file: String, reason: String)

    public var description: String {
        switch self {
        case let .cannotOpen(f, r): "cannot open safetensors file \(f): \(r)"
        case let .truncated(f, e, found): "safetensors file \(f) is truncated: expected at least \(e) bytes, found \(found)"
        case let .badHeader(f, r): "safetensors file \(f) has a malformed header: \(r)"
        case let .unknownDType(f, t, d): "safetensors file \(f): tensor \(t) has unknown dtype \(d) (expected one of F32, BF16, F16, …)"
        case let .badOffsets(f, t, r): "safetensors file \(f): tensor \(t) has inconsistent data offsets: \(r)"
        case let .missingTensor(f, t): "safetensors file \(f) has no tensor named \(t)"
        case let .unsupportedDType(f, t, d, e): "safetensors file \(f): tensor \(t) has dtype \(d), expected \(e)"
        case let .badIndex(f, r): "sharded checkpoint index \(f) is invalid: \(r)"
        }
    }
}

/// Where a tensor lives inside a file.
public struct TensorInfo: Sendable, Equatable {
    public let name: String
    public let dtype: DType
    public let shape: [Int]
    /// Byte range relative to the start of the data section.
    public let dataOffsets: Range<Int>

    public var count: Int { shape.reduce(1, *) }
}

/// A read-only memory mapping of a whole file, unmapped when released.
final class MappedFile: @unchecked Sendable {
    let base: UnsafeRawPointer
    let size: Int

    init(path: String) throws {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { throw SafeTensorsError.cannotOpen(file: path, reason: String(cString: strerror(errno))) }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { throw SafeTensorsError.cannotOpen(file: path, reason: String(cString: strerror(errno))) }
        size = Int(st.st_size)
        if size == 0 {
            throw SafeTensorsError.truncated(file: path, expectedBytes: 8, foundBytes: 0)
        }
        guard let p = mmap(nil, size, PROT_READ, MAP_PRIVATE, fd, 0), p != MAP_FAILED else {
            throw SafeTensorsError.cannotOpen(file: path, reason: "mmap failed: \(String(cString: strerror(errno)))")
        }
        base = UnsafeRawPointer(p)
    }

    deinit { munmap(UnsafeMutableRawPointer(mutating: base), size) }
}

/// One safetensors file, memory-mapped. Tensor bytes are read in place; nothing is copied until asked.
public final class SafeTensorsFile: @unchecked Sendable {
    public let path: String
    public let tensors: [String: TensorInfo]
    public let metadata: [String: String]
    private let mapping: MappedFile
    private let dataStart: Int

    /// Header lengths above this are refused: real headers are kilobytes, a lying length could make us allocate gigabytes.
    static let maxHeaderBytes = 100 << 20

    public convenience init(url: URL) throws { try self.init(path: url.path) }

    public init(path: String) throws {
        self.path = path
        mapping = try MappedFile(path: path)
        guard mapping.size >= 8 else { throw SafeTensorsError.truncated(file: path, expectedBytes: 8, foundBytes: mapping.size) }
        let headerLen = Int(UInt64(littleEndian: mapping.base.loadUnaligned(as: UInt64.self)))
        guard headerLen >= 2, headerLen <= Self.maxHeaderBytes else {
            throw SafeTensorsError.badHeader(file: path, reason: "declared header length \(headerLen) bytes is not plausible")
        }
        guard 8 + headerLen <= mapping.size else {
            throw SafeTensorsError.truncated(file: path, expectedBytes: 8 + headerLen, foundBytes: mapping.size)
        }
        dataStart = 8 + headerLen
        let headerData = Data(bytes: mapping.base + 8, count: headerLen)
        let json: Any
        do { json = try JSONSerialization.jsonObject(with: headerData) } catch {
            throw SafeTensorsError.badHeader(file: path, reason: "header is not valid JSON")
        }
        guard let object = json as? [String: Any] else {
            throw SafeTensorsError.badHeader(file: path, reason: "header is not a JSON object")
        }
        let dataSize = mapping.size - dataStart
        var infos: [String: TensorInfo] = [:]
        var meta: [String: String] = [:]
        for (name, value) in object {
            if name == "__metadata__" {
                guard let m = value as? [String: Any] else {
                    throw SafeTensorsError.badHeader(file: path, reason: "__metadata__ is not an object")
                }
                for (k, v) in m { meta[k] = v as? String ?? "\(v)" }
                continue
            }
            guard let entry = value as? [String: Any] else {
                throw SafeTensorsError.badHeader(file: path, reason: "entry for \(name) is not an object")
            }
            guard let dtypeName = entry["dtype"] as? String else {
                throw SafeTensorsError.badHeader(file: path, reason: "tensor \(name) has no dtype")
            }
            guard let dtype = DType(rawValue: dtypeName) else {
                throw SafeTensorsError.unknownDType(file: path, tensor: name, dtype: dtypeName)
            }
            guard let shapeAny = entry["shape"] as? [Any], let shape = Self.ints(shapeAny), shape.allSatisfy({ $0 >= 0 }) else {
                throw SafeTensorsError.badHeader(file: path, reason: "tensor \(name) has no valid shape")
            }
            guard let offAny = entry["data_offsets"] as? [Any], let off = Self.ints(offAny), off.count == 2 else {
                throw SafeTensorsError.badOffsets(file: path, tensor: name, reason: "data_offsets must be two integers")
            }
            guard off[0] >= 0, off[0] <= off[1] else {
                throw SafeTensorsError.badOffsets(file: path, tensor: name, reason: "begin \(off[0]) > end \(off[1])")
            }
            guard off[1] <= dataSize else {
                throw SafeTensorsError.truncated(file: path, expectedBytes: dataStart + off[1], foundBytes: mapping.size)
            }
            let (count, overflow) = shape.reduce((1, false)) { acc, d in
                let (p, o) = acc.0.multipliedReportingOverflow(by: d); return (p, acc.1 || o)
            }
            guard !overflow, count * dtype.byteSize == off[1] - off[0] else {
                throw SafeTensorsError.badOffsets(
                    file: path, tensor: name,
                    reason: "shape \(shape) of \(dtype.rawValue) needs \(overflow ? -1 : count * dtype.byteSize) bytes, offsets span \(off[1] - off[0])")
            }
            infos[name] = TensorInfo(name: name, dtype: dtype, shape: shape, dataOffsets: off[0]..<off[1])
        }
        // Overlapping tensors are a sign of a corrupt or hostile file.
        let sorted = infos.values.filter { !$0.dataOffsets.isEmpty }.sorted { $0.dataOffsets.lowerBound < $1.dataOffsets.lowerBound }
        for (a, b) in zip(sorted, sorted.dropFirst()) where a.dataOffsets.upperBound > b.dataOffsets.lowerBound {
            throw SafeTensorsError.badOffsets(file: path, tensor: b.name, reason: "overlaps tensor \(a.name)")
        }
        tensors = infos
        metadata = meta
    }

    private static func ints(_ values: [Any]) -> [Int]? {
        var out: [Int] = []
        for v in values {
            guard let n = v as? NSNumber, n.doubleValue == n.doubleValue.rounded(), abs(n.doubleValue) < 9e15 else { return nil }
            out.append(n.intValue)
        }
        return out
    }

    public func info(_ name: String) throws -> TensorInfo {
        guard let i = tensors[name] else { throw SafeTensorsError.missingTensor(file: path, tensor: name) }
        return i
    }

    /// The raw little-endian bytes of a tensor, valid while this file object lives.
    public func rawBytes(_ name: String) throws -> UnsafeRawBufferPointer {
        let i = try info(name)
        return UnsafeRawBufferPointer(start: mapping.base + dataStart + i.dataOffsets.lowerBound, count: i.dataOffsets.count)
    }

    /// The tensor widened to Float32, in row-major order.
    public func floats(_ name: String) throws -> [Float] {
        let i = try info(name)
        let raw = try rawBytes(name)
        return try TensorData.widen(raw, dtype: i.dtype, count: i.count, file: path, tensor: name)
    }
}

/// Conversions between stored element types and Float32.
public enum TensorData {
    public static func widen(_ raw: UnsafeRawBufferPointer, dtype: DType, count: Int, file: String = "", tensor: String = "") throws -> [Float] {
        var out = [Float](repeating: 0, count: count)
        guard count > 0 else { return out }
        out.withUnsafeMutableBufferPointer { dst in
            switch dtype {
            case .f32:
                _ = memcpy(dst.baseAddress!, raw.baseAddress!, count * 4)
            case .bf16:
                ck_bf16_to_f32(raw.baseAddress!.assumingMemoryBound(to: UInt16.self), dst.baseAddress!, count)
            case .f16:
                ck_f16_to_f32(raw.baseAddress!.assumingMemoryBound(to: UInt16.self), dst.baseAddress!, count)
            case .f64:
                for j in 0..<count { dst[j] = Float(raw.loadUnaligned(fromByteOffset: j * 8, as: Double.self)) }
            default:
                break
            }
        }
        guard [.f32, .bf16, .f16, .f64].contains(dtype) else {
            throw SafeTensorsError.unsupportedDType(file: file, tensor: tensor, dtype: dtype.rawValue, expected: "F32, BF16 or F16")
        }
        return out
    }

    /// Float32 to bfloat16 bits, rounding to nearest even.
    public static func bf16(_ values: [Float]) -> [UInt16] {
        var out = [UInt16](repeating: 0, count: values.count)
        guard !values.isEmpty else { return out }
        values.withUnsafeBufferPointer { src in
            out.withUnsafeMutableBufferPointer { dst in ck_f32_to_bf16(src.baseAddress!, dst.baseAddress!, values.count) }
        }
        return out
    }
}

/// Writes safetensors files that the Hugging Face `safetensors` library reads.
public struct SafeTensorsWriter {
    public struct Entry {
        public var name: String
        public var dtype: DType
        public var shape: [Int]
        public var bytes: [UInt8]
        public init(name: String, dtype: DType, shape: [Int], bytes: [UInt8]) {
            self.name = name; self.dtype = dtype; self.shape = shape; self.bytes = bytes
        }
        /// A Float32 tensor stored as `dtype` (F32, BF16 or F16 → F16 unsupported for writing).
        public init(name: String, shape: [Int], values: [Float], dtype: DType = .f32) {
            precondition(shape.reduce(1, *) == values.count, "shape \(shape) does not match \(values.count) values")
            self.name = name; self.shape = shape; self.dtype = dtype
            switch dtype {
            case .bf16:
                bytes = TensorData.bf16(values).withUnsafeBytes { Array($0) }
            case .f32:
                bytes = values.withUnsafeBytes { Array($0) }
            default:
                preconditionFailure("writing \(dtype) from Float32 is not supported")
            }
        }
    }

    public var metadata: [String: String] = [:]
    public var entries: [Entry] = []

    public init(metadata: [String: String] = [:]) { self.metadata = metadata }

    public mutating func add(_ e: Entry) { entries.append(e) }

    /// Serialises header and data. Tensors are laid out in name order, as the Python library does.
    public func serialized() throws -> Data {
        let ordered = entries.sorted { $0.name < $1.name }
        var header: [String: Any] = [:]
        if !metadata.isEmpty { header["__metadata__"] = metadata }
        var offset = 0
        for e in ordered {
            header[e.name] = ["dtype": e.dtype.rawValue, "shape": e.shape, "data_offsets": [offset, offset + e.bytes.count]]
            offset += e.bytes.count
        }
        var json = try JSONSerialization.data(withJSONObject: header, options: [.sortedKeys])
        // Pad the header with spaces to an 8-byte boundary so the data section is aligned.
        while (json.count % 8) != 0 { json.append(0x20) }
        var out = Data(capacity: 8 + json.count + offset)
        var len = UInt64(json.count).littleEndian
        withUnsafeBytes(of: &len) { out.append(contentsOf: $0) }
        out.append(json)
        for e in ordered { out.append(contentsOf: e.bytes) }
        return out
    }

    public func write(to url: URL) throws {
        let data = try serialized()
        // Write to a temporary name and rename, so a crash never leaves a half-written file under the real name.
        let tmp = url.deletingLastPathComponent().appendingPathComponent(".\(url.lastPathComponent).tmp-\(getpid())")
        try data.write(to: tmp)
        if FileManager.default.fileExists(atPath: url.path) { try FileManager.default.removeItem(at: url) }
        try FileManager.default.moveItem(at: tmp, to: url)
    }
}

/// A checkpoint that may be one file or several shards listed by `model.safetensors.index.json`.
public final class TensorStore: @unchecked Sendable {
    public let files: [SafeTensorsFile]
    private let location: [String: SafeTensorsFile]

    public var names: Set<String> { Set(location.keys) }

    public init(files: [SafeTensorsFile]) throws {
        self.files = files
        var loc: [String: SafeTensorsFile] = [:]
        for f in files {
            for name in f.tensors.keys {
                if let other = loc[name] {
                    throw SafeTensorsError.badIndex(file: f.path, reason: "tensor \(name) appears in both \(other.path) and \(f.path)")
                }
                loc[name] = f
            }
        }
        location = loc
    }

    /// Opens `model.safetensors`, or the shards named by `model.safetensors.index.json`, in `directory`.
    public convenience init(directory: URL, baseName: String = "model") throws {
        let single = directory.appendingPathComponent("\(baseName).safetensors")
        let index = directory.appendingPathComponent("\(baseName).safetensors.index.json")
        let fm = FileManager.default
        if fm.fileExists(atPath: index.path) {
            let data: Data
            do { data = try Data(contentsOf: index) } catch {
                throw SafeTensorsError.cannotOpen(file: index.path, reason: error.localizedDescription)
            }
            guard let obj = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let map = obj["weight_map"] as? [String: String] else {
                throw SafeTensorsError.badIndex(file: index.path, reason: "expected an object with a \"weight_map\" of tensor name to file name")
            }
            var files: [SafeTensorsFile] = []
            for shard in Set(map.values).sorted() {
                guard !shard.contains("/") else {
                    throw SafeTensorsError.badIndex(file: index.path, reason: "shard name \(shard) must be a plain file name")
                }
                files.append(try SafeTensorsFile(url: directory.appendingPathComponent(shard)))
            }
            try self.init(files: files)
            for (name, shard) in map where location[name]?.path.hasSuffix("/" + shard) != true {
                throw SafeTensorsError.badIndex(file: index.path, reason: "tensor \(name) is listed in \(shard) but not found there")
            }
        } else if fm.fileExists(atPath: single.path) {
            try self.init(files: [SafeTensorsFile(url: single)])
        } else {
            throw SafeTensorsError.cannotOpen(file: single.path, reason: "neither \(single.lastPathComponent) nor \(index.lastPathComponent) exists")
        }
    }

    public func file(for name: String) throws -> SafeTensorsFile {
        guard let f = location[name] else {
            throw SafeTensorsError.missingTensor(file: files.map(\.path).joined(separator: ", "), tensor: name)
        }
        return f
    }

    public func info(_ name: String) throws -> TensorInfo { try file(for: name).info(name) }
    public func rawBytes(_ name: String) throws -> UnsafeRawBufferPointer { try file(for: name).rawBytes(name) }
    public func floats(_ name: String) throws -> [Float] { try file(for: name).floats(name) }
}
