package runner

// ChangedLimit is the most bytes EnvChanged holds as a list of paths:
// Windows refuses a variable longer than 32,767 characters.
const ChangedLimit = 16 << 10
