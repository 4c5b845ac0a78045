package klayout

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/lywatch/lywatch/internal/atomicfile"
)

// MacroDir returns the directory KLayout runs autorun Python macros from:
// $KLAYOUT_HOME/pymacros, else ~/.klayout/pymacros.
func MacroDir() (string, error) {
	if h := os.Getenv("KLAYOUT_HOME"); h != "" {
		return filepath.Join(h, "pymacros"), nil
	}
	home, err := os.UserHomeDir()
	if err != nil {
		return "", fmt.Errorf("find KLayout's macro folder: %w", err)
	}
	return filepath.Join(home, ".klayout", "pymacros"), nil
}

// LYM wraps Python source into a KLayout .lym macro file marked autorun, so
// KLayout runs it at startup (in the GUI; batch mode -b skips autorun).
func LYM(src []byte, description string) []byte {
	esc := strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;")
	var b bytes.Buffer
	b.WriteString(`<?xml version="1.0" encoding="utf-8"?>
<klayout-macro>
 <description>` + esc.Replace(description) + `</description>
 <version/>
 <category>pymacros</category>
 <prolog/>
 <epilog/>
 <doc/>
 <autorun>true</autorun>
 <autorun-early>false</autorun-early>
 <shortcut/>
 <show-in-menu>false</show-in-menu>
 <group-name/>
 <menu-path/>
 <interpreter>python</interpreter>
 <dsl-interpreter-name/>
 <text>`)
	b.WriteString(esc.Replace(string(src)))
	b.WriteString("</text>\n</klayout-macro>\n")
	return b.Bytes()
}

// Install writes the server macro into dir (MacroDir() if empty) as
// lywatch_server.lym, an autorun macro. It is idempotent: changed is false
// when the file already held this version.
func Install(dir string) (path string, changed bool, err error) {
	if dir == "" {
		if dir, err = MacroDir(); err != nil {
			return "", false, err
		}
	}
	path = filepath.Join(dir, MacroName+".lym")
	changed, err = writeIfChanged(path, LYM(serverMacro, "lywatch server "+ServerVersion()+" (pushes from lywatch, lyipc and klive clients)"))
	if err != nil {
		return path, false, fmt.Errorf("install the lywatch server macro: %w", err)
	}
	return path, changed, nil
}

// ExtractMacro writes the server macro as lywatch_server.py into dir
// (DiscoveryDir() if empty) for `klayout -e -rm PATH`, and returns PATH.
func ExtractMacro(dir string) (string, error) {
	if dir == "" {
		var err error
		if dir, err = DiscoveryDir(); err != nil {
			return "", err
		}
	}
	path := filepath.Join(dir, MacroName+".py")
	if _, err := writeIfChanged(path, serverMacro); err != nil {
		return "", fmt.Errorf("extract the lywatch server macro: %w", err)
	}
	return path, nil
}

func writeIfChanged(path string, data []byte) (bool, error) {
	if old, err := os.ReadFile(path); err == nil && bytes.Equal(old, data) {
		return false, nil
	}
	// The macro gets the mode the umask gives any file the user writes:
	// 0644 under umask 022, 0600 under 077.
	if err := os.MkdirAll(filepath.Dir(path), 0o777); err != nil {
		return false, err
	}
	if err := atomicfile.WriteFile(path, data, 0o666); err != nil {
		return false, err
	}
	return true, nil
}
