package sec

import (
	"fmt"
	"strings"
)

// DeviceType is the kind of a Device in a Smart Metering System.
type DeviceType string

// Device types (SEC Section A; SECMP0014 lists them).
const (
	ESME   DeviceType = "ESME"   // Electricity Smart Metering Equipment
	GSME   DeviceType = "GSME"   // Gas Smart Metering Equipment
	CHF    DeviceType = "CHF"    // Communications Hub Function
	GPF    DeviceType = "GPF"    // Gas Proxy Function
	PPMID  DeviceType = "PPMID"  // Pre-Payment Meter Interface Device
	HCALCS DeviceType = "HCALCS" // HAN Connected Auxiliary Load Control Switch
	IHD    DeviceType = "IHD"    // In-Home Display, a Type 2 Device
)

// DeviceTypes lists every device type.
var DeviceTypes = []DeviceType{ESME, GSME, CHF, GPF, PPMID, HCALCS, IHD}

var deviceTypeLabels = map[DeviceType]string{
	ESME:   "Electricity meter (ESME)",
	GSME:   "Gas meter (GSME)",
	CHF:    "Communications Hub Function",
	GPF:    "Gas Proxy Function",
	PPMID:  "Pre-Payment Meter Interface Device",
	HCALCS: "HAN Connected Auxiliary Load Control Switch",
	IHD:    "In-Home Display (Type 2)",
}

// Label is the human name of the device type.
func (t DeviceType) Label() string { return deviceTypeLabels[t] }

// IsCommsHub reports whether the Device is part of a Communications Hub: a
// Communications Hub Function or a Gas Proxy Function.
func (t DeviceType) IsCommsHub() bool { return t == CHF || t == GPF }

// ParseDeviceType accepts a device type code in any case; "TYPE2" and
// "TYPE 2" mean IHD.
func ParseDeviceType(s string) (DeviceType, error) {
	t := strings.ToUpper(strings.TrimSpace(s))
	switch t {
	case "TYPE2", "TYPE 2", "TYPE_2":
		return IHD, nil
	}
	for _, d := range DeviceTypes {
		if t == string(d) {
			return d, nil
		}
	}
	return "", fmt.Errorf("unknown device type %q (one of ESME, GSME, CHF, GPF, PPMID, HCALCS, IHD)", s)
}

// Generation is the technical specification a Device was built to.
type Generation string

// Generations: SMETS1 Devices were installed before the DCC and enrolled onto it
// later; SMETS2+ covers SMETS2 and later versions, DCC-connected from the start.
const (
	SMETS1 Generation = "SMETS1"
	SMETS2 Generation = "SMETS2+"
)

// Generations lists both generations.
var Generations = []Generation{SMETS1, SMETS2}

// ParseGeneration accepts "SMETS1", "SMETS2", "SMETS2+" in any case, with or
// without spaces.
func ParseGeneration(s string) (Generation, error) {
	t := strings.ToUpper(strings.ReplaceAll(strings.TrimSpace(s), " ", ""))
	switch t {
	case "SMETS1", "1":
		return SMETS1, nil
	case "SMETS2", "SMETS2+", "2", "2+":
		return SMETS2, nil
	}
	return "", fmt.Errorf("unknown generation %q (SMETS1 or SMETS2+)", s)
}
