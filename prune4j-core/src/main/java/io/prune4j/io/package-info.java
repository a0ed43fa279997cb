/** Files: safetensors model files and atomic (temporary file, then rename) writes. */
package io.prune4j.io;
