package gds

import "fmt"

// This file holds the byte layout of the GDSII stream format: record types,
// their data types and names. A record is a big-endian uint16 length (header
// included, read as unsigned), a uint8 record type and a uint8 data type,
// followed by length-4 bytes of data.

// headerLen is the size of a record header in bytes.
const headerLen = 4

// maxRecordLen is the largest record length the 16-bit length field allows.
const maxRecordLen = 0xffff

// RecordType is a GDSII record type (the third byte of a record header).
type RecordType uint8

// Record types of the GDSII stream format, release 6/7.
const (
	recHEADER       RecordType = 0x00
	recBGNLIB       RecordType = 0x01
	recLIBNAME      RecordType = 0x02
	recUNITS        RecordType = 0x03
	recENDLIB       RecordType = 0x04
	recBGNSTR       RecordType = 0x05
	recSTRNAME      RecordType = 0x06
	recENDSTR       RecordType = 0x07
	recBOUNDARY     RecordType = 0x08
	recPATH         RecordType = 0x09
	recSREF         RecordType = 0x0a
	recAREF         RecordType = 0x0b
	recTEXT         RecordType = 0x0c
	recLAYER        RecordType = 0x0d
	recDATATYPE     RecordType = 0x0e
	recWIDTH        RecordType = 0x0f
	recXY           RecordType = 0x10
	recENDEL        RecordType = 0x11
	recSNAME        RecordType = 0x12
	recCOLROW       RecordType = 0x13
	recTEXTNODE     RecordType = 0x14
	recNODE         RecordType = 0x15
	recTEXTTYPE     RecordType = 0x16
	recPRESENTATION RecordType = 0x17
	recSPACING      RecordType = 0x18
	recSTRING       RecordType = 0x19
	recSTRANS       RecordType = 0x1a
	recMAG          RecordType = 0x1b
	recANGLE        RecordType = 0x1c
	recUINTEGER     RecordType = 0x1d
	recUSTRING      RecordType = 0x1e
	recREFLIBS      RecordType = 0x1f
	recFONTS        RecordType = 0x20
	recPATHTYPE     RecordType = 0x21
	recGENERATIONS  RecordType = 0x22
	recATTRTABLE    RecordType = 0x23
	recSTYPTABLE    RecordType = 0x24
	recSTRTYPE      RecordType = 0x25
	recELFLAGS      RecordType = 0x26
	recELKEY        RecordType = 0x27
	recLINKTYPE     RecordType = 0x28
	recLINKKEYS     RecordType = 0x29
	recNODETYPE     RecordType = 0x2a
	recPROPATTR     RecordType = 0x2b
	recPROPVALUE    RecordType = 0x2c
	recBOX          RecordType = 0x2d
	recBOXTYPE      RecordType = 0x2e
	recPLEX         RecordType = 0x2f
	recBGNEXTN      RecordType = 0x30
	recENDEXTN      RecordType = 0x31
	recTAPENUM      RecordType = 0x32
	recTAPECODE     RecordType = 0x33
	recSTRCLASS     RecordType = 0x34
	recRESERVED     RecordType = 0x35
	recFORMAT       RecordType = 0x36
	recMASK         RecordType = 0x37
	recENDMASKS     RecordType = 0x38
	recLIBDIRSIZE   RecordType = 0x39
	recSRFNAME      RecordType = 0x3a
	recLIBSECUR     RecordType = 0x3b
)

var recordNames = [...]string{
	"HEADER", "BGNLIB", "LIBNAME", "UNITS", "ENDLIB", "BGNSTR", "STRNAME", "ENDSTR",
	"BOUNDARY", "PATH", "SREF", "AREF", "TEXT", "LAYER", "DATATYPE", "WIDTH",
	"XY", "ENDEL", "SNAME", "COLROW", "TEXTNODE", "NODE", "TEXTTYPE", "PRESENTATION",
	"SPACING", "STRING", "STRANS", "MAG", "ANGLE", "UINTEGER", "USTRING", "REFLIBS",
	"FONTS", "PATHTYPE", "GENERATIONS", "ATTRTABLE", "STYPTABLE", "STRTYPE", "ELFLAGS", "ELKEY",
	"LINKTYPE", "LINKKEYS", "NODETYPE", "PROPATTR", "PROPVALUE", "BOX", "BOXTYPE", "PLEX",
	"BGNEXTN", "ENDEXTN", "TAPENUM", "TAPECODE", "STRCLASS", "RESERVED", "FORMAT", "MASK",
	"ENDMASKS", "LIBDIRSIZE", "SRFNAME", "LIBSECUR",
}

// String returns the record's name as in the GDSII specification, or
// UNKNOWN(0xNN).
func (t RecordType) String() string {
	if int(t) < len(recordNames) {
		return recordNames[t]
	}
	return fmt.Sprintf("UNKNOWN(0x%02x)", uint8(t))
}

// Known reports whether t is a record type of the specification.
func (t RecordType) Known() bool { return int(t) < len(recordNames) }

// DataType is the type of a record's data (the fourth byte of its header).
type DataType uint8

// Data types of record contents.
const (
	dtNone   DataType = 0
	dtBits   DataType = 1 // bit array, 2 bytes
	dtInt16  DataType = 2
	dtInt32  DataType = 3
	dtReal4  DataType = 4 // never used in practice
	dtReal8  DataType = 5
	dtString DataType = 6
)

// recordDataTypes gives each known record's data type, so the writer sets it
// and the reader can check it.
var recordDataTypes = [...]DataType{
	dtInt16, dtInt16, dtString, dtReal8, dtNone, dtInt16, dtString, dtNone, // HEADER..ENDSTR
	dtNone, dtNone, dtNone, dtNone, dtNone, dtInt16, dtInt16, dtInt32, // BOUNDARY..WIDTH
	dtInt32, dtNone, dtString, dtInt16, dtNone, dtNone, dtInt16, dtBits, // XY..PRESENTATION
	dtNone, dtString, dtBits, dtReal8, dtReal8, dtInt32, dtString, dtString, // SPACING..REFLIBS
	dtString, dtInt16, dtInt16, dtString, dtString, dtInt16, dtBits, dtInt32, // FONTS..ELKEY
	dtNone, dtNone, dtInt16, dtInt16, dtString, dtNone, dtInt16, dtInt32, // LINKTYPE..PLEX
	dtInt32, dtInt32, dtInt16, dtInt16, dtBits, dtInt32, dtInt16, dtString, // BGNEXTN..MASK
	dtNone, dtInt16, dtString, dtInt16, // ENDMASKS..LIBSECUR
}

// DataType returns the data type the specification gives record type t.
func (t RecordType) DataType() DataType {
	if int(t) < len(recordDataTypes) {
		return recordDataTypes[t]
	}
	return dtNone
}

// recordCode is the two header bytes after the length, for error messages:
// "record XY (0x1003)".
func recordCode(t RecordType, dt DataType) string {
	return fmt.Sprintf("%s (0x%02x%02x)", t, uint8(t), uint8(dt))
}
