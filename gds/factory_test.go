package gds

import "testing"

// TestFactoryFromMeta is lywatch's one rule for which factory made a cell,
// which the diff, the session and the dependency graph share.
func TestFactoryFromMeta(t *testing.T) {
	tests := []struct {
		name string
		meta map[string]string
		want string
	}{
		{"none", nil, ""},
		{"other keys only", map[string]string{"kfactory:settings:width": "1", "other": "x"}, ""},
		{"kfactory 1.x", map[string]string{"kfactory:function_name": "mmi1x2"}, "mmi1x2"},
		{"kfactory 1.x basename wins", map[string]string{"kfactory:basename": "mmi", "kfactory:function_name": "mmi1x2"}, "mmi"},
		{"kfactory 0.x and gdsfactory", map[string]string{"kfactory:settings:function_name": "straight", "kfactory:settings:length": "10"}, "straight"},
		{"1.x before 0.x", map[string]string{"kfactory:function_name": "a", "kfactory:settings:function_name": "b"}, "a"},
		{"bare function_name (the .cells.json key)", map[string]string{"function_name": "f"}, "f"},
		{"kfactory before bare", map[string]string{"function_name": "f", "kfactory:settings:function_name": "g"}, "g"},
		{"empty values are unset", map[string]string{"kfactory:basename": "", "kfactory:function_name": "x"}, "x"},
		{"other prefixes are not kfactory's", map[string]string{"mine:function_name": "x"}, ""},
	}
	for _, tc := range tests {
		if got := FactoryFromMeta("cell", tc.meta); got != tc.want {
			t.Errorf("%s: FactoryFromMeta(%v) = %q, want %q", tc.name, tc.meta, got, tc.want)
		}
	}
}
