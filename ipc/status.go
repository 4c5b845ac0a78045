package ipc

// LoadInfo describes the server's last load.
type LoadInfo struct {
	File   string  `json:"file"`
	Type   string  `json:"type"`
	Mode   string  `json:"mode"`
	LoadMS float64 `json:"load_ms"`
	Time   float64 `json:"time"` // Unix seconds
}

// Status is what the server reports about itself and the current view.
// Every key is always present in its JSON form (StatusKeys lists them): an
// empty list is [], a missing last load is null.
type Status struct {
	ServerVersion  string    `json:"server_version"`
	Protocol       int       `json:"protocol"`
	KLayoutVersion string    `json:"klayout_version"`
	PID            int       `json:"pid"`
	Port           int       `json:"port"`
	Name           string    `json:"name"`     // the instance's name (lywatch klayout start --name)
	Instance       string    `json:"instance"` // changes when KLayout restarts
	Listening      bool      `json:"listening"`
	Views          int       `json:"views"`
	CurrentView    int       `json:"current_view"`
	Loads          int       `json:"loads"`
	FileWatcher    bool      `json:"file_watcher"` // KLayout's "file changed on disk" check; the server turns it off
	Lyipc          bool      `json:"lyipc"`        // unauthenticated lyipc compatibility on
	Klive          bool      `json:"klive"`        // unauthenticated klive compatibility on
	Allowed        []string  `json:"allowed"`      // folders requests may read layouts from and write images to
	ImageDir       string    `json:"image_dir"`    // a folder for images, always allowed
	Note           string    `json:"note"`         // the last note shown in KLayout's status bar
	Dialogs        []string  `json:"dialogs"`      // titles of the dialogs KLayout shows (a modal one blocks the user)
	LastLoad       *LoadInfo `json:"last_load"`
	File           string    `json:"file"`
	Cell           string    `json:"cell"`
	Dirty          bool      `json:"dirty"` // the current layout has unsaved edits in KLayout
	DBU            float64   `json:"dbu"`
	TopCells       []string  `json:"top_cells"`
	CellViews      int       `json:"cellviews"`
	Box            []float64 `json:"box"` // left, bottom, right, top in micrometres; [] with no view
	MinHier        int       `json:"min_hier"`
	MaxHier        int       `json:"max_hier"`
	VisibleLayers  []string  `json:"visible_layers"`
	HiddenLayers   []string  `json:"hidden_layers"`
	Layers         []Layer   `json:"layers"`    // the current view's layer list, in order
	AllViews       []View    `json:"all_views"` // every view, in tab order
}

// View is one view (tab) of KLayout's window, as status lists them.
type View struct {
	View       int       `json:"view"`
	File       string    `json:"file"`
	Cell       string    `json:"cell"`
	Path       []string  `json:"path"` // the cell path shown, top first
	Dirty      bool      `json:"dirty"`
	Box        []float64 `json:"box"`
	MinHier    int       `json:"min_hier"`
	MaxHier    int       `json:"max_hier"`
	Layers     []string  `json:"layers"`      // the layer list's sources ("L/D"), in order
	LayerNames []string  `json:"layer_names"` // and their names
}

// StatusKeys lists the JSON keys of a Status, each always present.
func StatusKeys() []string {
	return []string{"server_version", "protocol", "klayout_version", "pid", "port", "name", "instance",
		"listening", "views", "current_view", "loads", "file_watcher", "lyipc", "klive", "allowed",
		"image_dir", "note", "dialogs", "last_load", "file", "cell", "dirty", "dbu", "top_cells", "cellviews", "box",
		"min_hier", "max_hier", "visible_layers", "hidden_layers", "layers", "all_views"}
}

// Normalize makes the lists that a server left out empty lists, so the JSON
// form has every key with its type (an older server omitted some).
func (st *Status) Normalize() *Status {
	for _, l := range []*[]string{&st.Allowed, &st.Dialogs, &st.TopCells, &st.VisibleLayers, &st.HiddenLayers} {
		if *l == nil {
			*l = []string{}
		}
	}
	if st.Box == nil {
		st.Box = []float64{}
	}
	if st.Layers == nil {
		st.Layers = []Layer{}
	}
	if st.AllViews == nil {
		st.AllViews = []View{}
	}
	return st
}

// Layer is one entry of a view's layer list.
type Layer struct {
	Layer   string `json:"layer"`   // "layer/datatype" (or the source's name)
	Name    string `json:"name"`    // the display name, if any
	Visible bool   `json:"visible"` // shown
	Fill    string `json:"fill"`    // effective fill colour, #rrggbb
	Frame   string `json:"frame"`   // effective frame colour, #rrggbb
}

// CellsReport is the cells command's answer: every cell of a view's
// layout, sorted by name.
type CellsReport struct {
	DBU   float64    `json:"dbu"`
	Cells []CellInfo `json:"cells"`
}

// CellInfo is one cell as the server reads it from the open layout.
type CellInfo struct {
	Name      string         `json:"name"`
	Layers    map[string]int `json:"layers"`    // shapes per "L/D"
	Instances int            `json:"instances"` // child instances (an array counts once)
	Ghost     bool           `json:"ghost"`     // referenced but never defined
	Children  []string       `json:"children"`
	Digest    string         `json:"digest"` // SHA-256 of its shapes and instances as KLayout prints them
}
